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
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
    if (close_range((unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return errno;
    return cloexec_from_proc(from);
}

/*
 * execve with execvpe(3)'s search: a name without '/' is tried in each
 * directory of path_env (an empty entry is the current directory). As in
 * glibc, a candidate that is missing or not permitted moves on to the next
 * directory, EACCES is reported if any candidate had it, and any other
 * error stops the search. Unlike glibc, ENOEXEC is reported, not retried
 * with /bin/sh: the container's shell is not ours to choose.
 */
static int exec_search(const char *file, const char *path_env, char **argv, char **envp)
{
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        return errno;
    }
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
            execve(buf, argv, envp);
            switch (errno) {
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
                return errno;
            }
        }
        if (!*end)
            break;
        p = end;
    }
    return eacces ? EACCES : ENOENT;
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
    int err = exec_search(argv[0], s->arg[0].p, argv, envp);
    free(argv);
    free(envp);
    return err;
}
