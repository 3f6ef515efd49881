/*
 * stage-fs.c: the steps that act on paths and mounts.
 *
 * Paths inside the container's root come from the image, and an image is
 * untrusted: /proc in it may be a symlink to /host/dir, ../../etc may climb
 * out. Each such step therefore opens root and resolves the path with
 * openat2(2) RESOLVE_IN_ROOT, which treats root as "/" for every component,
 * absolute symlinks and ".." included, so the walk can never leave it;
 * RESOLVE_NO_MAGICLINKS refuses /proc/<pid>/fd-style links, which jump
 * anywhere. The kernel does this atomically; checking a path in userspace
 * and using it afterwards would race with the container changing it (the
 * runc CVE-2021-30465 class). A mount then goes onto /proc/self/fd/N of the
 * resolved O_PATH fd, so mount(2) acts on exactly what was resolved.
 *
 * An empty root means "the path as given", resolved normally.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stage.h"
#include "steps.h"

#define O_DIR_PATH (O_PATH | O_DIRECTORY | O_CLOEXEC)

/* *fd = AT_FDCWD for "", else root opened as an O_PATH directory. */
static int open_root(const char *root, int *fd)
{
    *fd = AT_FDCWD;
    if (root[0] && (*fd = open(root, O_DIR_PATH)) < 0)
        return errno;
    return 0;
}

static void close_root(int rootfd)
{
    if (rootfd >= 0)
        close(rootfd);
}

/* path inside root (see the top of this file); fd or -errno. */
static int open_in(int rootfd, const char *path, uint64_t flags, uint64_t mode)
{
    struct open_how how = {
        .flags = flags,
        .mode = mode,
        .resolve = rootfd == AT_FDCWD ? 0 : RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd;
    do
        fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : (int)fd;
}

/* A path split into its parent directory and its last component. */
struct split {
    char buf[PATH_MAX];
    const char *dir;
    const char *base;
};

static int split_path(const char *path, struct split *sp)
{
    size_t n = strlen(path);
    if (n >= sizeof sp->buf)
        return ENAMETOOLONG;
    memcpy(sp->buf, path, n + 1);
    while (n > 1 && sp->buf[n - 1] == '/')
        sp->buf[--n] = '\0';
    char *slash = strrchr(sp->buf, '/');
    if (!slash) {
        sp->dir = ".";
        sp->base = sp->buf;
    } else if (slash == sp->buf) {
        sp->dir = "/";
        sp->base = slash + 1;
    } else {
        *slash = '\0';
        sp->dir = sp->buf;
        sp->base = slash + 1;
    }
    return sp->base[0] ? 0 : EINVAL;
}

/* The parent of path, resolved in root, as an O_PATH directory fd. */
static int open_parent(const char *root, const char *path, struct split *sp)
{
    int err = split_path(path, sp);
    if (err)
        return -err;
    int rootfd;
    if ((err = open_root(root, &rootfd)))
        return -err;
    int fd = open_in(rootfd, sp->dir, O_DIR_PATH, 0);
    close_root(rootfd);
    return fd;
}

static void fd_path(char *buf, size_t size, int fd)
{
    snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/*
 * MR_F_KEEP_LOCKED. When a more privileged mount namespace made a mount
 * nosuid, nodev, noexec or noatime, a user namespace's copy has those flags
 * locked and a remount that would clear them fails with EPERM
 * (mount_namespaces(7), "Restrictions on mount namespaces"). mount(2) has
 * no "leave as is" for them, so we restate the current ones, as runc does.
 * Read-only is not restated: a remount that asks for read-write on a locked
 * read-only mount should fail, not silently stay read-only. With no atime
 * flag at all, a remount keeps the current atime mode anyway.
 */
static unsigned long locked_flags(unsigned long st)
{
    static const struct {
        unsigned long st, ms;
    } map[] = {
        { ST_NOSUID, MS_NOSUID },       { ST_NODEV, MS_NODEV },
        { ST_NOEXEC, MS_NOEXEC },       { ST_NOATIME, MS_NOATIME },
        { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
    };
    unsigned long ms = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (st & map[i].st)
            ms |= map[i].ms;
    return ms;
}

static const char *or_null(const struct arg *a)
{
    return a->len ? a->p : NULL;
}

int op_mount(const struct step *s)
{
    const char *root = s->arg[1].p, *target = s->arg[2].p;
    unsigned long flags = (unsigned long)arg_num(s, 4);
    char where[32];
    int tfd = -1, err = 0;

    if (root[0]) {
        int rootfd;
        if ((err = open_root(root, &rootfd)))
            return err;
        tfd = open_in(rootfd, target, O_PATH | O_CLOEXEC, 0);
        close_root(rootfd);
        if (tfd < 0)
            return -tfd;
        fd_path(where, sizeof where, tfd);
        target = where;
    }
    if (s->flags & MR_F_KEEP_LOCKED) {
        /* fstatfs(2) works on an O_PATH fd (open(2), O_PATH). */
        struct statvfs sv;
        if ((tfd >= 0 ? fstatvfs(tfd, &sv) : statvfs(target, &sv)) < 0)
            err = errno;
        else
            flags |= locked_flags(sv.f_flag);
    }
    if (!err && mount(or_null(&s->arg[0]), target, or_null(&s->arg[3]), flags,
                      or_null(&s->arg[5])) < 0)
        err = errno;
    if (tfd >= 0)
        close(tfd);
    return err;
}

/*
 * mkdir -p inside root. Each prefix is resolved from root again, never from
 * the previous component's fd: RESOLVE_IN_ROOT confines to its dirfd, so
 * resolving from an inner directory would let ".." and absolute symlinks
 * land outside the real root's view of the path.
 */
static int mkdir_through_symlink(int rootfd, int parent, const char *path, size_t start,
                                 size_t end, mode_t mode, int depth);

static int mkdir_all(int rootfd, const char *path, mode_t mode, int depth)
{
    char prefix[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof prefix)
        return ENAMETOOLONG;
    int parent = open_in(rootfd, path[0] == '/' ? "/" : ".", O_DIR_PATH, 0);
    if (parent < 0)
        return -parent;
    int err = 0;
    size_t i = 0;
    while (!err) {
        while (path[i] == '/')
            i++;
        if (i >= n)
            break;
        size_t start = i;
        while (i < n && path[i] != '/')
            i++;
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        int fd = open_in(rootfd, prefix, O_DIR_PATH, 0);
        if (fd == -ENOENT) {
            /* Missing: create the last component in the resolved parent.
             * EEXIST is a race or a dangling symlink; the second open
             * tells which. */
            if (mkdirat(parent, prefix + start, mode) < 0 && errno != EEXIST) {
                err = errno;
                break;
            }
            fd = open_in(rootfd, prefix, O_DIR_PATH, 0);
            if (fd == -ENOENT)
                fd = -mkdir_through_symlink(rootfd, parent, path, start, i, mode, depth);
            if (fd == 0)
                break; /* the rest was made through the symlink */
        }
        if (fd < 0) {
            err = -fd;
            break;
        }
        close(parent);
        parent = fd;
    }
    close(parent);
    return err;
}

/*
 * path[start..end) names a symlink whose target does not exist yet (an
 * image's /proc -> /host/dir). Create the target instead, resolved inside
 * root like any other path, as runc's SecureJoin + MkdirAll do: the mount
 * then lands inside the rootfs where the link points from inside, never on
 * the host. Returns 0 when done (the caller stops), or an errno.
 */
static int mkdir_through_symlink(int rootfd, int parent, const char *path, size_t start,
                                 size_t end, mode_t mode, int depth)
{
    char link[PATH_MAX], next[PATH_MAX], name[NAME_MAX + 1];
    if (depth >= 40)
        return ELOOP;
    if (end - start > NAME_MAX)
        return ENAMETOOLONG;
    memcpy(name, path + start, end - start);
    name[end - start] = '\0';
    ssize_t len = readlinkat(parent, name, link, sizeof link - 1);
    if (len < 0)
        return errno == EINVAL ? ENOENT : errno;
    link[len] = '\0';
    /* absolute: from root; relative: from the link's own directory */
    int w = link[0] == '/'
                ? snprintf(next, sizeof next, "%s%s", link, path + end)
                : snprintf(next, sizeof next, "%.*s%s%s", (int)start, path, link, path + end);
    if (w < 0 || (size_t)w >= sizeof next)
        return ENAMETOOLONG;
    return mkdir_all(rootfd, next, mode, depth + 1);
}

int op_mkdir(const struct step *s)
{
    int rootfd, err;
    if ((err = open_root(s->arg[0].p, &rootfd)))
        return err;
    err = mkdir_all(rootfd, s->arg[1].p, (mode_t)arg_num(s, 2), 0);
    close_root(rootfd);
    return err;
}

int op_mkfile(const struct step *s)
{
    struct split sp;
    int dirfd = open_parent(s->arg[0].p, s->arg[1].p, &sp);
    if (dirfd < 0)
        return -dirfd;
    /* O_EXCL|O_NOFOLLOW: never open, let alone truncate, what is there. */
    int fd = openat(dirfd, sp.base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                    (mode_t)arg_num(s, 2));
    int err = fd < 0 && errno != EEXIST ? errno : 0;
    if (fd >= 0)
        close(fd);
    close(dirfd);
    return err;
}

int op_symlink(const struct step *s)
{
    struct split sp;
    int dirfd = open_parent(s->arg[0].p, s->arg[1].p, &sp);
    if (dirfd < 0)
        return -dirfd;
    int err = 0;
    if (symlinkat(s->arg[2].p, dirfd, sp.base) < 0) {
        struct stat st;
        err = errno;
        if (err == EEXIST && fstatat(dirfd, sp.base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            err = 0;
    }
    close(dirfd);
    return err;
}

int op_write_file(const struct step *s)
{
    int rootfd, err;
    if ((err = open_root(s->arg[0].p, &rootfd)))
        return err;
    int fd = open_in(rootfd, s->arg[1].p, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0);
    close_root(rootfd);
    if (fd < 0)
        return -fd;
    const char *p = s->arg[2].p;
    size_t left = s->arg[2].len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    close(fd);
    return err;
}

/*
 * A directory below a volume's data, bound on target. The data is written
 * by the volume's containers, so a component of subpath may be a symlink
 * put there to reach the host ("x -> /"): resolving it as usual, as
 * MR_OP_MOUNT resolves its source, would bind the host's root into the
 * container. RESOLVE_BENEATH refuses any walk that leaves base, ".." and
 * symlinks included (EXDEV), in the kernel, so nothing can swap a
 * component between a check and the mount (moby's safepath does the same
 * for Docker's volume-subpath); the bind is of the fd it resolved.
 */
int op_bind_beneath(const struct step *s)
{
    const char *base = s->arg[0].p, *sub = s->arg[1].p, *root = s->arg[2].p, *target = s->arg[3].p;
    unsigned long flags = (unsigned long)arg_num(s, 4);
    char from[32], where[32];
    int basefd = open(base, O_DIR_PATH);
    if (basefd < 0)
        return errno;
    struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
    long sfd;
    /* EAGAIN: a rename raced the walk's ".." check (RESOLVE_BENEATH); a few tries, as fs-view.ts makes */
    int tries = 0;
    do
        sfd = syscall(SYS_openat2, basefd, sub, &how, sizeof how);
    while (sfd < 0 && (errno == EINTR || (errno == EAGAIN && ++tries < 10)));
    int err = sfd < 0 ? errno : 0;
    close(basefd);
    if (err)
        return err;
    int tfd = -1;
    if (root[0]) {
        int rootfd;
        if (!(err = open_root(root, &rootfd))) {
            tfd = open_in(rootfd, target, O_PATH | O_CLOEXEC, 0);
            close_root(rootfd);
            if (tfd < 0)
                err = -tfd;
        }
    }
    if (!err) {
        fd_path(from, sizeof from, (int)sfd);
        if (tfd >= 0) {
            fd_path(where, sizeof where, tfd);
            target = where;
        }
        if (mount(from, target, NULL, flags | MS_BIND, NULL) < 0)
            err = errno;
    }
    if (tfd >= 0)
        close(tfd);
    close((int)sfd);
    return err;
}

/* Attach a detached mount (open_tree(2), see userns.c) at target. */
int op_move_mount(const struct step *s)
{
    return attach_mount(arg_fd(s, 0), s->arg[1].p, s->arg[2].p);
}

int attach_mount(int fd, const char *root, const char *target)
{
    int err = 0;
    if (!root[0]) {
        if (sys_move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            err = errno;
        return err;
    }
    int rootfd;
    if ((err = open_root(root, &rootfd)))
        return err;
    int tfd = open_in(rootfd, target, O_PATH | O_CLOEXEC, 0);
    close_root(rootfd);
    if (tfd < 0)
        return -tfd;
    if (sys_move_mount(fd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        err = errno;
    close(tfd);
    return err;
}

int op_chdir(const struct step *s)
{
    return chdir(s->arg[0].p) < 0 ? errno : 0;
}

/* pivot_root(2) has no glibc wrapper. new_root and put_old may be the same
 * directory ("." "."): the old root is then stacked on top of the new one
 * and a later umount2(".", MNT_DETACH) removes it. */
int op_pivot_root(const struct step *s)
{
    return syscall(SYS_pivot_root, s->arg[0].p, s->arg[1].p) < 0 ? errno : 0;
}

int op_umount(const struct step *s)
{
    return umount2(s->arg[0].p, (int)arg_num(s, 1)) < 0 ? errno : 0;
}
