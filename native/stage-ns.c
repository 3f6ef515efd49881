/*
 * stage-ns.c: the state that belongs to the namespaces the child was born
 * in (names of the UTS namespace, the network namespace's loopback),
 * unshare(2) for namespaces entered later, setns(2) to join a running
 * container's (exec), through a pidfd, and a mount of another container's
 * mount namespace bound into this one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stage.h"

int op_sethostname(const struct step *s)
{
    return sethostname(s->arg[0].p, s->arg[0].len) < 0 ? errno : 0;
}

int op_setdomainname(const struct step *s)
{
    return setdomainname(s->arg[0].p, s->arg[0].len) < 0 ? errno : 0;
}

/*
 * A new network namespace has a loopback interface, down (network_namespaces(7)).
 * Interface flags are set with the old ioctls on any socket of the
 * namespace (netdevice(7)), which needs no netlink code.
 */
int op_link_up(const struct step *s)
{
    struct ifreq ifr;
    if (s->arg[0].len >= sizeof ifr.ifr_name)
        return EINVAL;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, s->arg[0].p, s->arg[0].len);
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return errno;
    int err = 0;
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
        err = errno;
    } else {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
            err = errno;
    }
    close(sock);
    return err;
}

int op_unshare(const struct step *s)
{
    return unshare((int)arg_num(s, 0)) < 0 ? errno : 0;
}

/*
 * Join a running container's namespaces (exec) through a pidfd of its
 * process (setns(2), Linux 5.8): every namespace in nstype at once, and
 * only that process's. A path under /proc/<pid>/ns/ would name whatever
 * process holds the pid when it is opened: once the container's has
 * exited, possibly a host process (then the exec would run in the host's
 * namespaces). A pidfd of an exited process fails with ESRCH instead.
 * The kernel joins the user namespace first, so that its capabilities
 * count for the others, and the mount namespace's root and working
 * directory become the caller's. Here and not in Node: the kernel refuses
 * to move a multithreaded process into another user or mount namespace
 * (EINVAL), and the stage is a single thread. A PID or time namespace
 * applies to the children only.
 */
int op_setns(const struct step *s)
{
    return setns(arg_fd(s, 0), (int)arg_num(s, 1)) < 0 ? errno : 0;
}

/*
 * Bind a mount of another container's mount namespace into this one:
 * --ipc container:X's /dev/shm, the tmpfs X's POSIX shared memory
 * (shm_open(3)) lives in. A bind, mount(2) MS_BIND as open_tree(2)
 * OPEN_TREE_CLONE, refuses a source mounted in another mount namespace
 * (EINVAL: fs/namespace.c's check_mnt), so /proc/<pid>/root/dev/shm cannot
 * be bound from here. The stage enters X's mount namespace through the
 * pidfd instead (setns(2), Linux 5.8; its root becomes X's root), clones
 * the mount there into a detached tree, which belongs to no namespace and
 * may be attached in any, and comes back to the namespace it began in
 * through an fd of it opened first. The kernel refuses a multithreaded
 * process a new mount namespace: the stage is one thread, Node is not.
 *
 * X's root is X's to change: the source is resolved without following a
 * symlink (RESOLVE_NO_SYMLINKS: a link made there could name a file of
 * X's elsewhere, or /proc's magic links anything), and must lie on the
 * filesystem the plan names (its statfs(2) magic number). Coming back
 * resets root and working directory to this namespace's root: the steps
 * before pivot_root name absolute paths. A failure to come back fails the
 * step, and the stage exits before anything else runs in X's namespace.
 */
int op_bind_from(const struct step *s)
{
    int pidfd = arg_fd(s, 0);
    const char *source = s->arg[1].p;
    uint64_t magic = arg_num(s, 2);
    int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (own < 0)
        return errno;
    if (setns(pidfd, CLONE_NEWNS) < 0) {
        int err = errno;
        close(own);
        return err;
    }
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int err = 0, tree = -1;
    long fd;
    do
        fd = syscall(SYS_openat2, AT_FDCWD, source, &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        err = errno;
    } else {
        struct statfs st;
        if (fstatfs((int)fd, &st) < 0)
            err = errno;
        else if (magic && (uint64_t)(unsigned long)st.f_type != magic)
            err = EMEDIUMTYPE;
        else if ((tree = sys_open_tree((int)fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)) < 0)
            err = errno;
        close((int)fd);
    }
    if (setns(own, CLONE_NEWNS) < 0 && !err)
        err = errno;
    close(own);
    if (!err)
        err = attach_mount(tree, s->arg[3].p, s->arg[4].p);
    if (tree >= 0)
        close(tree);
    return err;
}
