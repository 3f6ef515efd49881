/*
 * spawn-program.c: mr_spawn_program, a program started in a session of its
 * own with some of the caller's fds as its 3, 4, 5... and /dev/null as 0, 1
 * and 2: what Node's child_process.spawn(path, args, { detached: true,
 * stdio: ['ignore', 'ignore', 'ignore', ...fds] }) does, without loading
 * node:child_process and node:net and without fork(2) of Node's whole
 * address space: posix_spawn(3), which glibc does with CLONE_VM|CLONE_VFORK.
 * For mini-run-monitor, started by every `run -d` and `start`
 * (src/runtime/process/monitor.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#pragma GCC visibility push(default)
#include "minirun.h"
#pragma GCC visibility pop

extern char **environ;

enum { MAX_FDS = 64 };

/* The file actions and attributes of the program's start; returns 0 or an error number. */
static int prepare(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, const int *high, int nfds)
{
    for (int fd = 0; fd < 3; fd++) {
        int err = posix_spawn_file_actions_addopen(fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
        if (err != 0)
            return err;
    }
    /* dup2 clears close-on-exec on the copy; the sources above (high) keep theirs */
    for (int i = 0; i < nfds; i++) {
        int err = posix_spawn_file_actions_adddup2(fa, high[i], 3 + i);
        if (err != 0)
            return err;
    }
    /* as libuv's child: every signal at its default (Node ignores SIGPIPE), none blocked */
    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    sigemptyset(&none);
    int err = posix_spawnattr_setsigdefault(attr, &all);
    if (err == 0)
        err = posix_spawnattr_setsigmask(attr, &none);
    if (err == 0)
        err = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    return err;
}

int mr_spawn_program(const char *path, const uint8_t *args, int32_t args_len, int32_t argc,
                     const int32_t *fds, int32_t nfds)
{
    if (argc < 1 || args_len < argc || nfds < 0 || nfds > MAX_FDS)
        return -EINVAL;
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    if (argv == NULL)
        return -ENOMEM;
    const char *p = (const char *)args;
    const char *end = p + args_len;
    for (int i = 0; i < argc; i++) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        if (nul == NULL) {
            free(argv);
            return -EINVAL;
        }
        argv[i] = (char *)p;
        p = nul + 1;
    }
    /* copies above 3..3+nfds, so that no dup2 overwrites a source a later one reads */
    int high[MAX_FDS];
    int n = 0;
    int err = 0;
    for (; n < nfds; n++) {
        high[n] = fcntl(fds[n], F_DUPFD_CLOEXEC, 3 + nfds);
        if (high[n] < 0) {
            err = errno;
            break;
        }
    }
    pid_t pid = -1;
    if (err == 0) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        err = posix_spawn_file_actions_init(&fa);
        if (err == 0) {
            err = posix_spawnattr_init(&attr);
            if (err == 0) {
                err = prepare(&fa, &attr, high, nfds);
                if (err == 0)
                    err = posix_spawn(&pid, path, &fa, &attr, argv, environ);
                posix_spawnattr_destroy(&attr);
            }
            posix_spawn_file_actions_destroy(&fa);
        }
    }
    for (int i = 0; i < n; i++)
        close(high[i]);
    free(argv);
    return err != 0 ? -err : pid;
}
