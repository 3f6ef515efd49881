/*
 * mini-run-stage: replays a step program (steps.h) in the container process.
 *
 * Why a separate program: the clone trampoline (spawn.c) runs in a copy of
 * multithreaded Node where almost nothing is safe to call. It only moves
 * fds and executes this static binary from a sealed memfd; here we are a
 * fresh single-threaded process and may use the C library freely.
 *
 * Why a program of steps: every decision (paths, flags, ids, capabilities)
 * was taken in TypeScript before clone(). This file makes none: it checks
 * the whole program, runs the steps in order, and reports the first failure
 * as data, {step index, errno}, on fd 4. The final step is normally an
 * execve(); fd 4 is close-on-exec, so its end of file tells the runtime the
 * command started.
 *
 * Started with: fd 3 = the program (a memfd), fd 4 = the report pipe.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stage.h"
#include "steps.h"
#include "default-signals.h"

#define PROGRAM_MAX (4u << 20)
/* The smallest encodings: a step header, an empty argument (len + NUL). */
#define STEP_MIN 8u
#define ARG_MIN 5u

/*
 * Argument types, one letter per argument: s = a string without NUL bytes
 * (used as a C string), b = bytes, n = an 8-byte number. A letter followed
 * by '*' stands for any number of such arguments, zero included.
 */
struct op_def {
    const char *args;
    op_fn *run;
    int (*check)(const struct step *s); /* more than types: 0 or EINVAL */
};

static int check_exec(const struct step *s);
static int check_seccomp(const struct step *s);
static int check_setns(const struct step *s);
static int check_umask(const struct step *s);

static const struct op_def ops[] = {
    [MR_OP_MOUNT] = { "ssssns", op_mount, NULL },
    [MR_OP_MKDIR] = { "ssn", op_mkdir, NULL },
    [MR_OP_MKFILE] = { "ssn", op_mkfile, NULL },
    [MR_OP_SYMLINK] = { "sss", op_symlink, NULL },
    [MR_OP_CHDIR] = { "s", op_chdir, NULL },
    [MR_OP_PIVOT_ROOT] = { "ss", op_pivot_root, NULL },
    [MR_OP_UMOUNT] = { "sn", op_umount, NULL },
    [MR_OP_SETHOSTNAME] = { "s", op_sethostname, NULL },
    [MR_OP_SETDOMAINNAME] = { "s", op_setdomainname, NULL },
    [MR_OP_LINK_UP] = { "s", op_link_up, NULL },
    [MR_OP_SETGROUPS] = { "n*", op_setgroups, NULL },
    [MR_OP_SETRESGID] = { "n", op_setresgid, NULL },
    [MR_OP_SETRESUID] = { "n", op_setresuid, NULL },
    [MR_OP_KEEPCAPS] = { "n", op_keepcaps, NULL },
    [MR_OP_CAP_BOUNDING] = { "n", op_cap_bounding, NULL },
    [MR_OP_CAPSET] = { "nnn", op_capset, NULL },
    [MR_OP_CAP_AMBIENT] = { "n", op_cap_ambient, NULL },
    [MR_OP_NO_NEW_PRIVS] = { "", op_no_new_privs, NULL },
    [MR_OP_SECCOMP] = { "b", op_seccomp, check_seccomp },
    [MR_OP_SETSID] = { "", op_setsid, NULL },
    [MR_OP_OPEN_PTY] = { "nnn", op_open_pty, NULL },
    [MR_OP_CLOSE_FDS] = { "n", op_close_fds, NULL },
    [MR_OP_FORK_INIT] = { "", op_fork_init, NULL },
    [MR_OP_EXEC] = { "sns*", op_exec, check_exec },
    [MR_OP_SETRLIMIT] = { "nnn", op_setrlimit, NULL },
    [MR_OP_WRITE_FILE] = { "ssb", op_write_file, NULL },
    [MR_OP_UNSHARE] = { "n", op_unshare, NULL },
    [MR_OP_MOVE_MOUNT] = { "nss", op_move_mount, NULL },
    [MR_OP_PDEATHSIG] = { "n", op_pdeathsig, NULL },
    [MR_OP_SETNS] = { "nn", op_setns, check_setns },
    [MR_OP_WAIT_START] = { "n", op_wait_start, NULL },
    [MR_OP_FIND_EXEC] = { "ss", op_find_exec, NULL },
    [MR_OP_UMASK] = { "n", op_umask, check_umask },
    [MR_OP_PERSONALITY] = { "n", op_personality, NULL },
    [MR_OP_IOPRIO] = { "n", op_ioprio, NULL },
    [MR_OP_SCHED] = { "nnnnnnn", op_sched, NULL },
    [MR_OP_SYNC_WAIT] = { "n", op_sync_wait, NULL },
    [MR_OP_FORK_RELAY] = { "", op_fork_relay, NULL },
    [MR_OP_BIND_BENEATH] = { "ssssn", op_bind_beneath, NULL },
    [MR_OP_BIND_FROM] = { "nsnss", op_bind_from, NULL },
};
#define NOPS (sizeof ops / sizeof ops[0])

#define KNOWN_FLAGS (MR_F_OPTIONAL | MR_F_KEEP_LOCKED)

/* One byte more than allowed, to tell "exactly the maximum" from "more". */
static char program[PROGRAM_MAX + 1];
static struct step *steps;
static uint32_t nsteps;

uint64_t arg_num(const struct step *s, uint32_t i)
{
    uint64_t v;
    memcpy(&v, s->arg[i].p, sizeof v);
    return le64toh(v);
}

int arg_fd(const struct step *s, uint32_t i)
{
    uint64_t v = arg_num(s, i);
    return v > 0x7fffffff ? -1 : (int)v;
}

static int check_exec(const struct step *s)
{
    /* path_env, argc, then argv[0..argc) and the environment: argv[0] is
     * the file to run, so argc >= 1. */
    uint64_t argc = arg_num(s, 1);
    return argc >= 1 && argc <= s->argc - 2 ? 0 : EINVAL;
}

static int check_seccomp(const struct step *s)
{
    /* struct sock_filter is 8 bytes (linux/filter.h). */
    return s->arg[0].len % 8 == 0 ? 0 : EINVAL;
}

static int check_setns(const struct step *s)
{
    /* setns(2) takes an int: a larger number must not be cut down to
     * another namespace type. */
    return arg_num(s, 1) <= 0x7fffffff ? 0 : EINVAL;
}

static int check_umask(const struct step *s)
{
    return arg_num(s, 0) <= 0777 ? 0 : EINVAL;
}

static int check_arg(char type, const struct arg *a)
{
    switch (type) {
    case 'n':
        return a->len == 8 ? 0 : EINVAL;
    case 's':
        return memchr(a->p, '\0', a->len) ? EINVAL : 0;
    default:
        return 0;
    }
}

static int check_step(const struct step *s)
{
    if (s->op >= NOPS || !ops[s->op].run || (s->flags & ~KNOWN_FLAGS))
        return EINVAL;
    const char *type = ops[s->op].args;
    for (uint32_t i = 0; i < s->argc; i++) {
        if (!*type)
            return EINVAL; /* too many arguments */
        if (check_arg(*type, &s->arg[i]))
            return EINVAL;
        if (type[1] != '*')
            type++;
    }
    if (*type && type[1] != '*')
        return EINVAL; /* too few */
    return ops[s->op].check ? ops[s->op].check(s) : 0;
}

static uint32_t le32_at(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return le32toh(v);
}

static uint16_t le16_at(const char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return le16toh(v);
}

/* pread, not read: the memfd's file offset is shared with the runtime's
 * descriptor of it (an open file description is shared across fork and
 * dup), so only an explicit offset is independent of what it did. */
static int read_program(size_t *len)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = pread(MR_FD_PROGRAM, program + n, sizeof program - n, (off_t)n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > PROGRAM_MAX)
            return E2BIG;
    }
    close(MR_FD_PROGRAM);
    *len = n;
    return 0;
}

/* Split the program into steps and arguments, checking all of it before the
 * first step runs: a program cut short must not run half-way. */
static int parse_program(size_t len)
{
    const char *p = program, *end = program + len;
    if (len < 8 || memcmp(p, MR_PROGRAM_MAGIC, 4) != 0)
        return EINVAL;
    nsteps = le32_at(p + 4);
    p += 8;
    if (nsteps > (size_t)(end - p) / STEP_MIN)
        return EINVAL;
    steps = calloc(nsteps + 1, sizeof *steps);
    struct arg *args = calloc((size_t)(end - p) / ARG_MIN + 1, sizeof *args);
    if (!steps || !args)
        return ENOMEM;
    for (uint32_t i = 0; i < nsteps; i++) {
        struct step *s = &steps[i];
        if (end - p < (ptrdiff_t)STEP_MIN)
            return EINVAL;
        s->op = le16_at(p);
        s->flags = le16_at(p + 2);
        s->argc = le32_at(p + 4);
        s->arg = args;
        p += STEP_MIN;
        if (s->argc > (size_t)(end - p) / ARG_MIN)
            return EINVAL;
        for (uint32_t j = 0; j < s->argc; j++) {
            if (end - p < (ptrdiff_t)ARG_MIN)
                return EINVAL;
            uint32_t alen = le32_at(p);
            p += 4;
            if (alen >= (size_t)(end - p) || p[alen] != '\0')
                return EINVAL;
            args->p = p;
            args->len = alen;
            args++;
            p += alen + 1;
        }
        if (check_step(s))
            return EINVAL;
    }
    return p == end ? 0 : EINVAL;
}

static void report(uint32_t index, int err)
{
    /* After MR_OP_WAIT_START the runtime that read "ready" may be gone:
     * the write must fail with EPIPE, not kill us with SIGPIPE, so that
     * the exit status stays ours. */
    signal(SIGPIPE, SIG_IGN);
    uint32_t r[2] = { htole32(index), htole32((uint32_t)err) };
    ssize_t n = write(MR_FD_REPORT, r, sizeof r);
    (void)n;
}

int report_reached(const struct step *s)
{
    uint32_t r[2] = { htole32((uint32_t)(s - steps)), 0 };
    ssize_t n;
    do
        n = write(MR_FD_REPORT, r, sizeof r);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno;
    return n == (ssize_t)sizeof r ? 0 : EIO;
}

/*
 * The stage starts with every signal blocked (mr_spawn keeps them blocked
 * from the clone to this exec: spawn.c says why). Give the container
 * default dispositions and an empty mask: execve reset the handlers, but an
 * ignored signal stays ignored across it (Node ignores SIGPIPE; a monitor
 * that posix_spawn started has glibc's internal 32 and 33 ignored, which
 * sigaction(2) will not touch: default-signals.h asks the kernel).
 */
static void reset_signals(void)
{
    sigset_t none;
    default_signals();
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* argv[0]'s own bytes: --init's PID 1 renames itself in place (stage-init.c) */
char *stage_argv0;

int main(int argc, char **argv)
{
    stage_argv0 = argc > 0 ? argv[0] : NULL;
    reset_signals();

    /* The report pipe must close by itself when the final execve succeeds:
     * that end of file is the runtime's "started" signal. */
    if (fcntl(MR_FD_REPORT, F_SETFD, FD_CLOEXEC) < 0)
        _exit(125);

    size_t len = 0;
    int err = read_program(&len);
    if (!err)
        err = parse_program(len);
    if (err) {
        /* No step ran: the program as a whole is reported as step 0. */
        report(0, err);
        _exit(125);
    }
    for (uint32_t i = 0; i < nsteps; i++) {
        const struct step *s = &steps[i];
        err = ops[s->op].run(s);
        if (err == ENOENT && (s->flags & MR_F_OPTIONAL))
            continue;
        if (err) {
            report(i, err);
            _exit(125);
        }
    }
    /* A program without a final exec has simply done its work. */
    _exit(0);
}
