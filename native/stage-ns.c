/*
 * stage-ns.c: the state that belongs to the namespaces the child was born
 * in (names of the UTS namespace, the network namespace's loopback),
 * unshare(2) for namespaces entered later, and setns(2) to join a running
 * container's (exec).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
 * Join the namespace that path (/proc/<pid>/ns/<name>) names. Here and not
 * in Node: the kernel refuses to move a multithreaded process into another
 * user or mount namespace (EINVAL, setns(2)), and the stage is a single
 * thread. The order is the caller's: the user namespace first (joining it
 * grants the capabilities the others ask for in it), the mount namespace
 * last (it changes root and working directory, and the /proc of the paths
 * that follow). A PID or time namespace applies to the children only.
 */
int op_setns(const struct step *s)
{
    int fd = open(s->arg[0].p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int err = setns(fd, (int)arg_num(s, 1)) < 0 ? errno : 0;
    close(fd);
    return err;
}
