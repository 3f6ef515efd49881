/*
 * stage-process.c: the process itself: session, resource limits, parent
 * death signal, which fds survive, and the final execve.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stage.h"

int op_setsid(const struct step *s)
{
    (void)s;
    return setsid() < 0 ? errno : 0;
}

int op_setrlimit(const struct step *s)
{
    /* RLIM_INFINITY is ~0 in the 64-bit struct rlimit: the number passes as is. */
    struct rlimit rl = { .rlim_cur = arg_num(s, 1), .rlim_max = arg_num(s, 2) };
    return setrlimit((int)arg_num(s, 0), &rl) < 0 ? errno : 0;
}

int op_umask(const struct step *s)
{
    umask((mode_t)arg_num(s, 0));
    return 0;
}

int op_personality(const struct step *s)
{
    return personality((unsigned long)arg_num(s, 0)) < 0 ? errno : 0;
}

/* No glibc wrapper for either. */
int op_ioprio(const struct step *s)
{
    const int who_process = 1; /* IOPRIO_WHO_PROCESS, linux/ioprio.h */
    return syscall(SYS_ioprio_set, who_process, 0, (int)arg_num(s, 0)) < 0 ? errno : 0;
}

/* struct sched_attr of sched_setattr(2), SCHED_ATTR_SIZE_VER0 */
struct sched_attr0 {
    uint32_t size;
    uint32_t policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime;
    uint64_t deadline;
    uint64_t period;
};

int op_sched(const struct step *s)
{
    struct sched_attr0 attr = {
        .size = sizeof attr,
        .policy = (uint32_t)arg_num(s, 0),
        .flags = arg_num(s, 1),
        .nice = (int32_t)arg_num(s, 2),
        .priority = (uint32_t)arg_num(s, 3),
        .runtime = arg_num(s, 4),
        .deadline = arg_num(s, 5),
        .period = arg_num(s, 6),
    };
    return syscall(SYS_sched_setattr, 0, &attr, 0) < 0 ? errno : 0;
}

int op_pdeathsig(const struct step *s)
{
    return prctl(PR_SET_PDEATHSIG, (unsigned long)arg_num(s, 0), 0, 0, 0) < 0 ? errno : 0;
}

/* For kernels before 5.11 (no CLOSE_RANGE_CLOEXEC): mark each open fd from
 * /proc/self/fd. */
static int cloexec_from_proc(int from)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return errno;
    int self = dirfd(dir), err = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || fd < from || fd == self)
            continue;
        int flags = fcntl((int)fd, F_GETFD);
        if (flags >= 0 && fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC) < 0)
            err = errno;
    }
    closedir(dir);
    return err;
}

/*
 * Close-on-exec, not close: the steps after this one may still need their
 * fds (the report pipe above all), and the final execve drops them all at
 * once. An fd Node left without FD_CLOEXEC would otherwise leak in.
 */
int op_close_fds(const struct step *s)
{
    int from = arg_fd(s, 0);
    if (from < 0)
        return EINVAL;
    if (sys_close_range((unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return errno;
    return cloexec_from_proc(from);
}

/* One candidate of the search: 0 when it will do (execve does not return
 * then), else the errno that moves the search on or stops it. */
typedef int try_fn(const char *path, char **argv, char **envp);

static int try_execve(const char *path, char **argv, char **envp)
{
    execve(path, argv, envp);
    return errno;
}

/* What execve(2) would say of path before running it: missing (ENOENT),
 * not permitted, or not a regular file (EACCES, as execve says of a
 * directory). */
static int try_access(const char *path, char **argv, char **envp)
{
    (void)argv;
    (void)envp;
    struct stat st;
    if (stat(path, &st) < 0)
        return errno;
    if (!S_ISREG(st.st_mode))
        return EACCES;
    return faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0 ? errno : 0;
}

/*
 * execvpe(3)'s search: a name without '/' is tried in each directory of
 * path_env (an empty entry is the current directory). As in glibc, a
 * candidate that is missing or not permitted moves on to the next
 * directory, EACCES is reported if any candidate had it, and any other
 * error stops the search. Unlike glibc, ENOEXEC is reported, not retried
 * with /bin/sh: the container's shell is not ours to choose.
 */
static int search(try_fn *try, const char *file, const char *path_env, char **argv, char **envp)
{
    if (strchr(file, '/'))
        return try(file, argv, envp);
    if (!file[0])
        return ENOENT;
    size_t flen = strlen(file);
    bool eacces = false;
    char buf[PATH_MAX];
    for (const char *p = path_env;; p++) {
        const char *end = strchrnul(p, ':');
        size_t dlen = (size_t)(end - p);
        if (dlen + 1 + flen < sizeof buf) {
            char *w = buf;
            if (dlen) {
                memcpy(w, p, dlen);
                w += dlen;
                *w++ = '/';
            }
            memcpy(w, file, flen + 1);
            int err = try(buf, argv, envp);
            switch (err) {
            case 0:
                return 0;
            case EACCES:
                eacces = true;
                break;
            case ENOENT:
            case ENOTDIR:
            case ESTALE:
            case ENODEV:
            case ETIMEDOUT:
                break;
            default:
                return err;
            }
        }
        if (!*end)
            break;
        p = end;
    }
    return eacces ? EACCES : ENOENT;
}

int op_find_exec(const struct step *s)
{
    return search(try_access, s->arg[1].p, s->arg[0].p, NULL, NULL);
}

/*
 * The runtime's go-ahead (steps.h MR_OP_SYNC_WAIT): the steps before this
 * one ran while the runtime attached the network; what follows may use it.
 */
int op_sync_wait(const struct step *s)
{
    int fd = arg_fd(s, 0);
    if (fd < 0)
        return EBADF;
    char byte;
    ssize_t n;
    do
        n = read(fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno;
    if (n == 0)
        _exit(0);
    close(fd);
    return 0;
}

/*
 * The OCI lifecycle's create/start split (runtime-spec runtime.md): the
 * process waits here, every step of its start done but the execve, until
 * `start`. As runc's exec.fifo: the runtime made a FIFO and gave us an
 * O_PATH fd of it; opening it for writing blocks until a reader opens it,
 * and `start` is that reader. Reopening through /proc/self/fd works after
 * pivot_root, where the FIFO's path is out of reach, and for any user: it
 * follows the fd, not a path (proc(5)). The one byte tells `start` that it
 * was this process that it released.
 */
int op_wait_start(const struct step *s)
{
    int fifo = arg_fd(s, 0);
    if (fifo < 0)
        return EBADF;
    int err = report_reached(s);
    if (err)
        return err;
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fifo);
    int fd;
    do
        fd = open(path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    ssize_t n;
    do
        n = write(fd, "0", 1);
    while (n < 0 && errno == EINTR);
    err = n < 0 ? errno : 0;
    close(fd);
    close(fifo);
    return err;
}

int op_exec(const struct step *s)
{
    uint32_t argc = (uint32_t)arg_num(s, 1);
    uint32_t envc = s->argc - 2 - argc;
    char **argv = calloc(argc + 1, sizeof *argv);
    char **envp = calloc(envc + 1, sizeof *envp);
    if (!argv || !envp)
        return ENOMEM;
    for (uint32_t i = 0; i < argc; i++)
        argv[i] = (char *)s->arg[2 + i].p;
    for (uint32_t i = 0; i < envc; i++)
        envp[i] = (char *)s->arg[2 + argc + i].p;
    int err = search(try_execve, argv[0], s->arg[0].p, argv, envp);
    free(argv);
    free(envp);
    return err;
}
