/*
 * spawn.c: mr_spawn, the clone3() call and the trampoline that runs in the
 * child until it executes the stage program (see minirun.h for the contract).
 *
 * Why this is C and so careful: Node is multithreaded, and clone() copies
 * only the calling thread. Any lock another thread held (malloc's, stdio's,
 * libuv's) stays locked forever in the child, so between clone3() and
 * execveat() the child may only make raw syscalls and call async-signal-safe
 * functions (signal-safety(7)). Everything it needs (argv, envp, the fd
 * lists) is prepared before the clone, and the real work happens after an
 * exec, in mini-run-stage, a fresh single-threaded program. runc's nsexec.c
 * exists for the same reason (Go is multithreaded too).
 *
 * mini-run-monitor (monitor.c), the parent of a detached container, links
 * this file too and calls mr_spawn: a detached container is started by the
 * very same clone and trampoline as a foreground one. The monitor is
 * single-threaded, so the care above is more than it needs, never less.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#pragma GCC visibility push(default)
#include "minirun.h"
#pragma GCC visibility pop
#include "steps.h"

/* The fds the stage program finds in place: stdin, stdout, stderr, then
 * MR_FD_PROGRAM (3) and MR_FD_REPORT (4). */
#define STAGE_FDS 5
/* Where sources are parked before they are moved into 0-4: above any number
 * the moves write to (F_DUPFD gives the lowest free fd >= this). */
#define PARK_FD_MIN 100

static char *const stage_argv[] = { "mini-run-stage", NULL };
static char *const stage_envp[] = { NULL };

struct spawn {
    int stage_fd;
    int sync_fd;
    int userns;
    int sources[STAGE_FDS]; /* moved to 0..4 */
    const int32_t *keep;
    int nkeep;
};

/* Tell the runtime which errno stopped the trampoline, then die. */
static void __attribute__((noreturn)) fail(int report_fd, int err)
{
    uint32_t report[2] = { MR_STEP_TRAMPOLINE, (uint32_t)err };
    ssize_t n = write(report_fd, report, sizeof report);
    (void)n;
    _exit(125);
}

/*
 * The child starts with Node's signal handlers and a fully blocked mask (see
 * mr_spawn). A handler must never run here: libuv's writes to a pipe it
 * shares with the parent and takes a pipe-based lock, so it would corrupt
 * the runtime's own state. Reset every disposition to the default before
 * unblocking, as libuv's uv_spawn does for its children, so the container
 * starts with default signals and an empty mask, not Node's (Node ignores
 * SIGPIPE, and an ignored signal stays ignored across execve(2)).
 * sigaction(2) and sigprocmask(2) are async-signal-safe; glibc refuses its
 * two internal signals with EINVAL, which is fine: no one sends them here.
 */
static void reset_signals(void)
{
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigset_t none;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* dup to a free fd >= PARK_FD_MIN; close-on-exec, so a copy left behind
 * never reaches the stage. */
static int park(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, PARK_FD_MIN);
}

static void consider(int fd, unsigned lo, unsigned *next)
{
    if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd < *next)
        *next = (unsigned)fd;
}

/*
 * Close every fd above 4 but the keep list and our two parked fds. The
 * child got a copy of every fd Node had, the write end of the sync pipe
 * among them: as long as we hold it, the parent closing its end could never
 * give us end of file. And any Node fd opened without O_CLOEXEC would leak
 * into the stage. close_range(2) (Linux 5.9) between the fds we keep.
 */
static int close_others(const struct spawn *sp, int sync_fd, int stage_fd)
{
    unsigned lo = STAGE_FDS;
    for (;;) {
        unsigned next = ~0U;
        consider(sync_fd, lo, &next);
        consider(stage_fd, lo, &next);
        for (int i = 0; i < sp->nkeep; i++)
            consider(sp->keep[i], lo, &next);
        if (next > lo && syscall(SYS_close_range, lo, next - 1, 0) < 0)
            return errno;
        if (next == ~0U)
            return 0;
        lo = next + 1;
    }
}

static void __attribute__((noreturn)) trampoline(const struct spawn *sp)
{
    int report_fd = sp->sources[MR_FD_REPORT];
    int parked[STAGE_FDS];

    reset_signals();

    /* 1. fds. Every source is parked first: a source may already sit on a
     *    number in 0-4 that another one is about to be moved onto (the
     *    report pipe could be fd 2, stdout could be fd 4). */
    for (int i = 0; i < sp->nkeep; i++)
        if (sp->keep[i] < STAGE_FDS)
            fail(report_fd, EINVAL);
    for (int i = 0; i < STAGE_FDS; i++) {
        parked[i] = park(sp->sources[i]);
        if (parked[i] < 0)
            fail(report_fd, errno);
    }
    report_fd = parked[MR_FD_REPORT];
    int sync_fd = park(sp->sync_fd);
    if (sync_fd < 0)
        fail(report_fd, errno);
    int stage_fd = park(sp->stage_fd);
    if (stage_fd < 0)
        fail(report_fd, errno);
    /* dup2(2) leaves FD_CLOEXEC clear on the new descriptor: Node opens
     * even 0-2 close-on-exec, so the stage gets its fds only through this. */
    for (int i = 0; i < STAGE_FDS; i++) {
        if (dup2(parked[i], i) < 0)
            fail(report_fd, errno);
    }
    report_fd = MR_FD_REPORT;
    int err = close_others(sp, sync_fd, stage_fd);
    if (err)
        fail(report_fd, err);
    for (int i = 0; i < sp->nkeep; i++) {
        int flags = fcntl(sp->keep[i], F_GETFD);
        if (flags < 0 || fcntl(sp->keep[i], F_SETFD, flags & ~FD_CLOEXEC) < 0)
            fail(report_fd, errno);
    }

    /* 2. Wait for the parent. In a new user namespace it writes uid_map and
     *    gid_map first: execve(2) by a process whose uid has no mapping in
     *    its namespace computes its capabilities as an unprivileged user
     *    (user_namespaces(7), capabilities(7)), so the stage would start
     *    with none. End of file: the parent gave up on us, leave quietly. */
    char byte;
    ssize_t n;
    do
        n = read(sync_fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        fail(report_fd, errno);
    if (n == 0)
        _exit(0);
    close(sync_fd);

    /* In a new user namespace, become its root (uid and gid 0 as mapped by
     * the parent). A caller whose own uid is not what 0 maps to (root
     * running --userns=auto: 0 -> 100000) would otherwise be an unmapped
     * user inside, and execve would drop every capability. Raw syscalls:
     * glibc's setresuid() signals all the threads it thinks we have, and
     * this copy of Node has only one. runc's nsexec.c does the same. */
    if (sp->userns && (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0))
        fail(report_fd, errno);

    /* 3. Run the stage from its sealed memfd (mr_sealed_copy): the path of a
     *    host binary is never executed, so /proc/self/exe in the container
     *    names an anonymous, unwritable file (CVE-2019-5736). The memfd is
     *    close-on-exec and does not survive into the stage. */
    syscall(SYS_execveat, stage_fd, "", stage_argv, stage_envp, AT_EMPTY_PATH);
    fail(report_fd, errno);
}

int mr_spawn(int64_t clone_flags, int32_t cgroup_fd, int32_t stage_fd,
             int32_t program_fd, int32_t sync_fd, int32_t report_fd,
             const int32_t *stdio, const int32_t *keep, int32_t nkeep)
{
    if (!stdio || nkeep < 0 || (nkeep > 0 && !keep))
        return -EINVAL;
    struct spawn sp = {
        .stage_fd = stage_fd,
        .sync_fd = sync_fd,
        .sources = { stdio[0], stdio[1], stdio[2], program_fd, report_fd },
        .keep = keep,
        .nkeep = nkeep,
        .userns = (clone_flags & CLONE_NEWUSER) != 0,
    };
    /* Fork-like clone3(2): no new stack (stack 0 means the child continues
     * on a copy of ours), SIGCHLD to the parent on exit, so waitpid() sees
     * it as an ordinary child. CLONE_INTO_CGROUP places it in the cgroup
     * atomically: it never runs, not even briefly, outside its limits. */
    struct clone_args args = {
        .flags = (uint64_t)clone_flags,
        .exit_signal = SIGCHLD,
    };
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
    /* Block every signal around the clone so that no Node handler can run
     * in the child before reset_signals() (see there). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0)
        trampoline(&sp);
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid < 0 ? -err : (int)pid;
}
