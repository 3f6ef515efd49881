/*
 * stage-ns.c: the state that belongs to the namespaces the child was born
 * in (names of the UTS namespace, the network namespace's loopback),
 * unshare(2) for namespaces entered later, and setns(2) to join a running
 * container's (exec), through a pidfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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
