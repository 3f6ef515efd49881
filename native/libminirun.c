/*
 * libminirun.c: the small syscalls Node does not expose (memfd, pipe2,
 * SCM_RIGHTS, waitpid, TIOCSWINSZ, mknod, xattrs, pidfds, openat2), for
 * src/native/lib.ts.
 *
 * Each function is one syscall or a short fixed sequence of them; each
 * returns -errno on failure so that no caller reads errno across the FFI
 * boundary. The clone trampoline is in spawn.c, the user namespace and
 * idmapped mount helpers in userns.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fd-io.h"
#pragma GCC visibility push(default)
#include "minirun.h"
#pragma GCC visibility pop

/* Linux 6.3 memfd_create(2) flags and seal, absent from older headers. An
 * older kernel rejects them with EINVAL and we retry without. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

/*
 * A memfd that may be sealed. Since Linux 6.3 a memfd must say whether it is
 * meant to be executed (MFD_EXEC) or never (MFD_NOEXEC_SEAL): the
 * vm.memfd_noexec sysctl may refuse the default (memfd_create(2)).
 */
static int memfd(const char *name, unsigned exec_flag)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | exec_flag);
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    return fd;
}

/*
 * Seal the memfd against every change: no write, no resize, no further seal
 * (fcntl(2) "File Sealing"). F_SEAL_WRITE is what defeats CVE-2019-5736: a
 * process in the container that opens /proc/<pid>/exe of the stage gets this
 * file, and cannot write to it. F_SEAL_EXEC (6.3) also freezes the mode bits.
 */
static int seal(int fd)
{
    int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    if (fcntl(fd, F_ADD_SEALS, seals | F_SEAL_EXEC) == 0)
        return 0;
    if (errno != EINVAL)
        return -1;
    return fcntl(fd, F_ADD_SEALS, seals);
}

/*
 * The copy through a buffer, for a kernel that cannot sendfile(2) into a
 * memfd: a function of its own, so that its 64 KiB frame (whose pages the
 * stack-clash probes touch, a fault each) is made only then.
 */
static __attribute__((noinline)) int copy_through_buffer(int src, int fd)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(src, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && write_all(fd, buf, (size_t)n) < 0))
            return errno;
        if (n == 0)
            return 0;
    }
}

int mr_sealed_copy(const char *path)
{
    int src = open(path, O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return -errno;
    const char *slash = strrchr(path, '/');
    int fd = memfd(slash ? slash + 1 : path, MFD_EXEC);
    int err = 0;
    if (fd < 0) {
        err = errno;
        close(src);
        return -err;
    }
    /* in the kernel, file to memfd; EINVAL at once: a kernel that cannot, the buffer's way */
    ssize_t sent;
    while ((sent = sendfile(fd, src, NULL, 1 << 20)) > 0 || (sent < 0 && errno == EINTR))
        ;
    if (sent < 0 && (errno == EINVAL || errno == ENOSYS))
        err = lseek(src, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0 ? errno : copy_through_buffer(src, fd);
    else if (sent < 0)
        err = errno;
    if (!err && seal(fd) < 0)
        err = errno;
    close(src);
    if (err) {
        close(fd);
        return -err;
    }
    return fd;
}

int mr_memfd_data(const uint8_t *data, int32_t len)
{
    if (len < 0)
        return -EINVAL;
    int fd = memfd("mini-run-program", MFD_NOEXEC_SEAL);
    if (fd < 0)
        return -errno;
    /* The child shares this open file description, and with it the file
     * offset: rewind it, so that a plain read() there starts at byte 0. */
    if (write_all(fd, data, (size_t)len) < 0 || seal(fd) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int mr_pipe(int32_t *fds, int32_t flags)
{
    int p[2];
    if (pipe2(p, flags) < 0)
        return -errno;
    fds[0] = p[0];
    fds[1] = p[1];
    return 0;
}

int mr_socketpair(int32_t *fds)
{
    int p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
        return -errno;
    fds[0] = p[0];
    fds[1] = p[1];
    return 0;
}

/*
 * The v2 device cgroup (src/runtime/cgroup/device-bpf.ts makes the
 * program): load it as BPF_PROG_TYPE_CGROUP_DEVICE, attach it to the
 * cgroup with BPF_F_ALLOW_MULTI (the programs of the cgroups above still
 * run: a container never gets more than its parent allows). The
 * attachment holds the program; our fd of it goes.
 */
int mr_bpf_device_filter(const uint8_t *insns, int32_t len, int32_t cgroup_fd)
{
    if (len <= 0 || len % 8)
        return -EINVAL;
    static const char license[] = "Apache-2.0";
    union bpf_attr load;
    memset(&load, 0, sizeof load);
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insn_cnt = (uint32_t)(len / 8);
    load.insns = (uint64_t)(uintptr_t)insns;
    load.license = (uint64_t)(uintptr_t)license;
    int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
    if (prog < 0)
        return -errno;
    union bpf_attr attach;
    memset(&attach, 0, sizeof attach);
    attach.target_fd = (uint32_t)cgroup_fd;
    attach.attach_bpf_fd = (uint32_t)prog;
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    int r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach);
    int err = r < 0 ? errno : 0;
    close(prog);
    return -err;
}

int mr_unix_connect(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    size_t len = strlen(path);
    if (len >= sizeof addr.sun_path)
        return -ENAMETOOLONG;
    memcpy(addr.sun_path, path, len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int r;
    do
        r = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int mr_read_report(int32_t fd, int32_t *out, int32_t timeout_ms)
{
    unsigned char buf[8];
    size_t got = 0;
    if (timeout_ms >= 0) {
        /* A report, or the end of file that an execve or an exit makes, comes
         * in one go: once the pipe is readable, the reads below do not wait. */
        struct pollfd p = { .fd = fd, .events = POLLIN };
        struct timespec now, end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += timeout_ms / 1000;
        end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (end.tv_nsec >= 1000000000L) {
            end.tv_sec++;
            end.tv_nsec -= 1000000000L;
        }
        int r;
        /* A signal whose handler has SA_RESTART (libuv's, V8's SIGPROF)
         * restarts poll with what is left of its time, in the kernel; one
         * without makes it fail with EINTR, and the wait goes on for what
         * is left of timeout_ms, not for all of it again. */
        for (int left = timeout_ms;;) {
            r = poll(&p, 1, left);
            if (r >= 0 || errno != EINTR)
                break;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms = (long)(end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000L;
            if (ms <= 0) {
                r = 0;
                break;
            }
            left = (int)ms;
        }
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ETIMEDOUT;
    }
    while (got < sizeof buf) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got == 0)
        return 0;
    /* A write of 8 bytes to a pipe is atomic (pipe(7), PIPE_BUF): a short
     * report means something else wrote to the pipe. */
    if (got != sizeof buf)
        return -EPROTO;
    memcpy(&out[0], buf, 4);
    memcpy(&out[1], buf + 4, 4);
    return (int)got;
}

int mr_wait(int32_t pid, int32_t *status)
{
    int st;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    *status = st;
    return r;
}

int mr_wait_nohang(int32_t pid, int32_t *status)
{
    int st;
    pid_t r;
    do
        r = waitpid(pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    if (r > 0)
        *status = st;
    return r;
}

int mr_wait_peek(int32_t pid, int32_t *status, int32_t timeout_ms)
{
    for (int32_t waited = 0;; waited++) {
        siginfo_t si = { 0 };
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | WNOHANG) < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (si.si_pid == pid) {
            /* as waitpid(2) would encode it */
            if (si.si_code == CLD_EXITED)
                *status = (si.si_status & 0xff) << 8;
            else
                *status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
            return 1;
        }
        if (waited >= timeout_ms)
            return 0;
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
}

int mr_set_winsize(int32_t fd, int32_t rows, int32_t cols)
{
    if (rows < 0 || rows > 0xffff || cols < 0 || cols > 0xffff)
        return -EINVAL;
    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
    if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
        return -errno;
    return 0;
}

int mr_isatty(int32_t fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) == 0 || errno == EIO)
        return 1;
    /* tcgetattr is the TCGETS ioctl: a file that is no terminal answers
     * ENOTTY (or EINVAL from some drivers, which glibc's isatty allows) */
    return errno == ENOTTY || errno == EINVAL ? 0 : -errno;
}

int mr_tty_clear_opost(int32_t fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) < 0)
        return -errno;
    t.c_oflag &= ~(tcflag_t)OPOST;
    if (tcsetattr(fd, TCSANOW, &t) < 0)
        return -errno;
    return 0;
}

int mr_set_nonblock(int32_t fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

int mr_mknod(const char *path, int32_t mode, int32_t major, int32_t minor)
{
    if (mknod(path, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0)
        return -errno;
    return 0;
}

int mr_lsetxattr(const char *path, const char *name, const uint8_t *value, int32_t len)
{
    if (len < 0)
        return -EINVAL;
    if (lsetxattr(path, name, value, (size_t)len, 0) < 0)
        return -errno;
    return 0;
}

int mr_lgetxattr(const char *path, const char *name, uint8_t *buf, int32_t len)
{
    if (len < 0)
        return -EINVAL;
    ssize_t n = lgetxattr(path, name, buf, (size_t)len);
    if (n < 0)
        return -errno;
    return (int)n;
}

int mr_llistxattr(const char *path, uint8_t *buf, int32_t len)
{
    if (len < 0)
        return -EINVAL;
    ssize_t n = llistxattr(path, (char *)buf, (size_t)len);
    if (n < 0)
        return -errno;
    return (int)n;
}

int mr_flock(int32_t fd, int32_t operation)
{
    int r;
    do
        r = flock(fd, operation);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

int mr_syncfs(int32_t fd)
{
    return syncfs(fd) < 0 ? -errno : 0;
}

/* Remove name in dirfd, a directory's contents first; depth bounds the
 * recursion (a writable layer is a few levels deep). */
static int remove_at(int dirfd, const char *name, int depth)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR)
        return -errno;
    if (depth > 128)
        return -ELOOP;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int err = errno;
        close(fd);
        return -err;
    }
    int r = 0;
    struct dirent *e;
    while (r == 0) {
        errno = 0;
        if (!(e = readdir(d))) {
            r = errno ? -errno : 0;
            break;
        }
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            r = remove_at(fd, e->d_name, depth + 1);
    }
    closedir(d);
    if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        r = -errno;
    return r;
}

int mr_remove_tree(const char *path)
{
    if (!path || !*path)
        return -EINVAL;
    return remove_at(AT_FDCWD, path, 0);
}

int mr_wait_hangup(const int32_t *fds, int32_t n, int32_t wake_fd)
{
    struct pollfd p[9];
    if (n < 0 || n > 8)
        return -EINVAL;
    for (int i = 0; i < n; i++)
        p[i] = (struct pollfd){ .fd = fds[i], .events = 0 };
    p[n] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
    for (;;) {
        if (poll(p, (nfds_t)n + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (p[n].revents)
            return n;
        for (int i = 0; i < n; i++)
            if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL))
                return i;
    }
}

int mr_pidfd_open(int32_t pid)
{
    int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    return fd < 0 ? -errno : fd;
}

int mr_pidfd_send_signal(int32_t pidfd, int32_t sig)
{
    return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

/*
 * RESOLVE_IN_ROOT treats rootfd as "/" for every component, absolute
 * symlinks and ".." included (openat2(2)); RESOLVE_NO_MAGICLINKS refuses
 * /proc/<pid>/fd-style links, which would jump anywhere. O_PATH opens
 * nothing: a FIFO is not opened for reading, a device's open() never runs.
 */
int mr_open_in_root(int32_t rootfd, const char *path)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    return fd < 0 ? -errno : fd;
}

/*
 * An O_PATH fd cannot be read: open the same inode again through
 * /proc/self/fd/N (that magic link names the open file, not a path that
 * could have changed since) and make sure it is the same regular file.
 * O_NONBLOCK and O_NOCTTY are for the case that cannot happen after that
 * check; they cost nothing.
 */
int mr_read_regular(int32_t path_fd, uint8_t *buf, int32_t len)
{
    if (len < 0)
        return -EINVAL;
    char self[32];
    snprintf(self, sizeof self, "/proc/self/fd/%d", path_fd);
    struct stat want, got;
    if (fstat(path_fd, &want) < 0)
        return -errno;
    if (!S_ISREG(want.st_mode))
        return -EINVAL;
    int fd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int err = 0;
    size_t n = 0;
    if (fstat(fd, &got) < 0)
        err = errno;
    else if (got.st_dev != want.st_dev || got.st_ino != want.st_ino || !S_ISREG(got.st_mode))
        err = EINVAL;
    while (!err) {
        /* one byte past len: tells "exactly len" from "more" */
        unsigned char extra;
        ssize_t r = n < (size_t)len ? read(fd, buf + n, (size_t)len - n) : read(fd, &extra, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            err = errno;
        else if (r == 0)
            break;
        else if (n == (size_t)len)
            err = EFBIG;
        else
            n += (size_t)r;
    }
    close(fd);
    return err ? -err : (int)n;
}

int mr_bind_mount(const char *source, const char *target)
{
    if (mount(source, target, NULL, MS_BIND, NULL) < 0)
        return -errno;
    return 0;
}

int mr_mount_tmpfs(const char *target, int32_t exec, const char *data)
{
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | (exec ? 0 : MS_NOEXEC), data) < 0)
        return -errno;
    return 0;
}

int mr_umount(const char *target, int32_t flags)
{
    if (umount2(target, flags) < 0)
        return -errno;
    return 0;
}

int mr_unshare(int32_t flags)
{
    if (unshare(flags) < 0)
        return -errno;
    return 0;
}

/* The trees mr_exit removes (mr_remove_at_exit), copied. */
static char *exit_removals[8];
static int exit_removal_count;

static int remove_at(int dirfd, const char *name, int depth);

/* Node's own exit (exit(3), not mr_exit's _exit): the trees go before it. */
static void remove_exit_trees(void)
{
    for (int i = 0; i < exit_removal_count; i++)
        (void)remove_at(AT_FDCWD, exit_removals[i], 0);
    exit_removal_count = 0;
}

int mr_remove_at_exit(const char *path)
{
    if (!path || !*path)
        return -EINVAL;
    if (exit_removal_count == (int)(sizeof exit_removals / sizeof *exit_removals))
        return -ENOSPC;
    if (exit_removal_count == 0) {
        static int registered;
        if (!registered && atexit(remove_exit_trees) != 0)
            return -ENOMEM;
        registered = 1;
    }
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    exit_removals[exit_removal_count++] = copy;
    return 0;
}

/* remove_at for the helper: raw syscalls and its own stack only (no
 * malloc, no readdir: the process's other threads may hold their locks
 * when it is made). 16 levels deep at most, 1 kB of entries at a time: a
 * deeper tree stays, in tmp/, for the store to collect (minirun.h). */
static void remove_raw(int dirfd, const char *name, int depth)
{
    if (syscall(SYS_unlinkat, dirfd, name, 0) == 0 || depth >= 16)
        return;
    int fd = (int)syscall(SYS_openat, dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[1024] __attribute__((aligned(8)));
    long n;
    /* as readdir(3) and remove_at: an entry not removed is read once */
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long at = 0; at < n;) {
            struct dirent64 *e = (struct dirent64 *)(buf + at);
            at += e->d_reclen;
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                remove_raw(fd, e->d_name, depth + 1);
        }
    }
    syscall(SYS_close, fd);
    syscall(SYS_unlinkat, dirfd, name, AT_REMOVEDIR);
}

/* The helper of mr_exit: removes the trees given to mr_remove_at_exit
 * while the process exits beside it, then holds the process's memory until
 * the process is gone. It shares the memory (CLONE_VM) but nothing else:
 * its fd table is a copy, of which it keeps only the pipe's read end, so no
 * caller waiting for the end of a pipe it shares (a shell's $(...)) waits
 * for it; every signal is blocked (the mask it was made with), so no
 * handler of Node's runs on its stack. EOF on the pipe says the process's
 * fds are closed, which the kernel does after it let go of the memory; the
 * helper's own exit then takes the memory down. If it cannot close its
 * copies (no close_range(2) before Linux 5.9, or a seccomp filter refuses
 * it), it removes the trees holding them, as the process would have before
 * its exit, and ends: the process unmaps its memory itself, as without it.
 * Raw syscalls only: it shares the caller's thread pointer, and so errno. */
static int exit_helper(void *arg)
{
    const int *fds = arg;
    int rd = fds[0];
    char c;
    syscall(SYS_close, fds[1]);
    int closed = !((rd > 0 && syscall(SYS_close_range, 0, rd - 1, 0) != 0) || syscall(SYS_close_range, rd + 1, ~0U, 0) != 0);
    for (int i = 0; i < exit_removal_count; i++)
        remove_raw(AT_FDCWD, exit_removals[i], 0);
    if (!closed)
        syscall(SYS_exit, 0);
    /* EOF ends the wait; EINTR cannot come with every signal blocked, and
     * any other error ends it too */
    while (syscall(SYS_read, rd, &c, 1) > 0) {
    }
    syscall(SYS_exit, 0);
    return 0;
}

int mr_exit(int32_t code, int32_t keep_memory)
{
    /* A stack for the helper that no thread of this process uses: a static
     * one in this library, which outlives the process as the memory does
     * (its untouched pages cost nothing). */
    static char helper_stack[65536] __attribute__((aligned(16)));
    static int fds[2];
    sigset_t all;

    if (keep_memory) {
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        /* SIGCHLD: whoever adopts the helper is told when it ends. No
         * helper (a pids limit): a plain exit, which waits for the memory. */
        if (pipe2(fds, O_CLOEXEC) == 0 && clone(exit_helper, helper_stack + sizeof helper_stack, CLONE_VM | SIGCHLD, fds) > 0)
            _exit(code);
    }
    remove_exit_trees();
    _exit(code);
}
