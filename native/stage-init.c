/*
 * stage-init.c: MR_OP_FORK_INIT, a minimal init in the manner of tini.
 *
 * PID 1 of a PID namespace has two duties a normal program does not know
 * about (pid_namespaces(7)): orphans are reparented to it, so it must reap
 * them or they stay zombies; and the kernel delivers it only the signals it
 * has a handler for, so a program that never expected to be PID 1 ignores
 * SIGTERM. Here the stage forks: the child goes on with the program and
 * becomes the command, the parent stays behind as that init.
 *
 * The init blocks every signal and takes them with sigwaitinfo(2) instead of
 * handlers: a blocked signal is always queued, even for PID 1, and there is
 * no handler to race with.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stage.h"
#include "steps.h"

static int exit_code(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* The init's name in ps, top and /proc/1/comm: mini-run-init, where
 * Docker's is docker-init. Without it the kernel names it after the memfd
 * it was run from ("memfd:mini-run-", the comm's 15 bytes). The command
 * line is argv[0]'s own bytes, rewritten in place: "mini-run-stage" is
 * longer than the new name, and the rest stays NUL. */
static void name_init(void)
{
    static const char name[] = "mini-run-init";
    prctl(PR_SET_NAME, name, 0, 0, 0);
    if (stage_argv0 && strlen(stage_argv0) >= sizeof name - 1) {
        size_t len = strlen(stage_argv0);
        memcpy(stage_argv0, name, sizeof name - 1);
        memset(stage_argv0 + sizeof name - 1, 0, len - (sizeof name - 1));
    }
}

static void __attribute__((noreturn)) run_init(pid_t child, const sigset_t *all)
{
    name_init();
    /* A relay forks before the root is pivoted: a cwd left in the host's
     * tree would pin that mount for as long as the container runs. Its
     * root, and "/" as its cwd, follow the pivot (pivot_root(2)). */
    if (chdir("/") < 0) {
        /* nothing depends on it */
    }
    /* The init needs no fd beyond 0-2. Above all, the report pipe must be
     * held by the child alone: its end of file at the child's execve is the
     * runtime's "started". */
    if (sys_close_range(3, ~0U, 0) < 0)
        close(MR_FD_REPORT);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(all, &info);
        if (sig < 0)
            continue; /* EINTR: a stopped-and-continued init */
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        int status;
        pid_t pid;
        int done = 0, code = 0;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == child) {
                done = 1;
                code = exit_code(status);
            }
        }
        if (done)
            _exit(code);
    }
}

/* Fork with every signal blocked; the parent becomes the init (it never
 * returns), the child gets 0 back with the old mask in *old still to
 * restore, or an errno. */
static int fork_parent_init(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, old) < 0)
        return errno;
    pid_t child = fork();
    if (child < 0) {
        int err = errno;
        sigprocmask(SIG_SETMASK, old, NULL);
        return err;
    }
    if (child > 0)
        run_init(child, &all);
    return 0;
}

/* --pid container:X. setns(2) into a PID namespace changes only where the
 * caller's children go (pid_namespaces(7)); the stage stays in the host's,
 * and a /proc it mounted would list the host's processes. So it forks at
 * once, before any mount: the child, a process of X's namespace (not its
 * PID 1), runs every other step; the parent relays signals as the init
 * does and exits with the child's status. The child's process group is
 * left as it is: the setsid(2) step that follows fails in a group leader. */
int op_fork_relay(const struct step *s)
{
    (void)s;
    sigset_t old;
    int err = fork_parent_init(&old);
    if (err)
        return err;
    /* The relay forwards what it can catch; SIGKILL it cannot (an OCI
     * caller's `kill ID KILL` goes to the container's recorded process,
     * the relay): the command dies with it rather than live on, reparented
     * in X's namespace, after its runtime reported it stopped. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        return errno;
    return sigprocmask(SIG_SETMASK, &old, NULL) < 0 ? errno : 0;
}

int op_fork_init(const struct step *s)
{
    (void)s;
    sigset_t old;
    int err = fork_parent_init(&old);
    if (err)
        return err;

    /* The child: its own process group, and the terminal's foreground
     * group if there is a terminal, as tini does. Terminal signals (^C,
     * ^Z) then go to the command and not also to the init, which would
     * forward them a second time. tcsetpgrp from a background group raises
     * SIGTTOU, which is still blocked here (tcsetpgrp(3)). */
    if (setpgid(0, 0) < 0)
        return errno;
    if (tcsetpgrp(0, getpgrp()) < 0 && errno != ENOTTY && errno != ENXIO)
        return errno;
    /* No handler was ever installed in the stage: restoring the mask is
     * enough to give the command default signals. */
    if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
        return errno;
    return 0;
}
