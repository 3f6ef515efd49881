/*
 * userns.c: a user namespace as an fd, and a detached idmapped mount made
 * with it (mount_setattr(2) MOUNT_ATTR_IDMAP). The layer store uses them to
 * show files owned by host ids as owned by the container's ids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC visibility push(default)
#include "minirun.h"
#pragma GCC visibility pop

/* An id map is written with one write(2); the kernel rejects a partial map
 * and any second write (user_namespaces(7), "Defining user and group ID
 * mappings"). */
static int write_map(pid_t pid, const char *file, const char *map)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(map);
    ssize_t n = write(fd, map, len);
    int err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
    close(fd);
    return err;
}

/*
 * A namespace lives as long as something refers to it; an open
 * /proc/<pid>/ns/user fd is such a reference (namespaces(7)). So a child is
 * born in a new user namespace only to have its maps written and the
 * namespace opened, then killed. unshare(CLONE_NEWUSER) is not an option:
 * it fails with EINVAL in a multithreaded process such as Node.
 */
int mr_userns_fd(const char *uid_map, const char *gid_map)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
    /* The child keeps this full mask: no Node signal handler may run in it
     * (see spawn.c). SIGKILL cannot be blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        /* Only raw syscalls here (spawn.c explains why). Wait for end of
         * file: it comes when the parent is done, or if it dies. */
        char byte;
        close(pipefd[1]);
        while (read(pipefd[0], &byte, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    int err = pid < 0 ? -errno : 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pipefd[0]);
    if (err) {
        close(pipefd[1]);
        return err;
    }

    int nsfd = -1;
    err = write_map((pid_t)pid, "uid_map", uid_map);
    if (!err)
        err = write_map((pid_t)pid, "gid_map", gid_map);
    if (!err) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
        nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
            err = -errno;
    }
    close(pipefd[1]);
    kill((pid_t)pid, SIGKILL);
    while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return err ? err : nsfd;
}

/*
 * open_tree(OPEN_TREE_CLONE) copies the mount at path into a detached mount
 * that belongs to no mount namespace yet; only such a mount, not yet
 * attached, may be idmapped (mount_setattr(2)). The caller attaches it with
 * move_mount(2) (the stage's MR_OP_MOVE_MOUNT).
 */
int mr_idmapped_tree(const char *path, int32_t userns_fd, int32_t recursive)
{
    unsigned int rec = recursive ? AT_RECURSIVE : 0;
    int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
    if (fd < 0)
        return -errno;
    struct mount_attr attr = {
        .attr_set = MOUNT_ATTR_IDMAP,
        .userns_fd = (uint64_t)userns_fd,
    };
    if (mount_setattr(fd, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}
