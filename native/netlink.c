/*
 * netlink.c: rtnetlink requests that TypeScript builds byte for byte
 * (src/network/netlink.ts): a veth pair with one end in a container's
 * network namespace, its address and route. Here only the socket: opened
 * in a given network namespace, a request sent, the kernel's answer read.
 * netavark does the same per container by starting itself and iptables
 * (tens of milliseconds); a request here is a few microseconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#pragma GCC visibility push(default)
#include "minirun.h"
#pragma GCC visibility pop

struct open_in {
    int netns_fd;
    int result;
};

/*
 * A socket belongs to the network namespace its creator was in, for its
 * whole life (network_namespaces(7)). The network namespace is per thread,
 * so a short-lived thread can join the container's and make the socket
 * there; open_and_return below does it on the calling thread instead, when
 * it can.
 */
static void *open_in_thread(void *p)
{
    struct open_in *o = p;
    if (o->netns_fd >= 0 && setns(o->netns_fd, CLONE_NEWNET) < 0) {
        o->result = -errno;
        return NULL;
    }
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    o->result = fd < 0 ? -errno : fd;
    return NULL;
}

/*
 * The same on the calling thread, which goes into the namespace and back
 * around the socket(2), a system call apart: a thread's start is 0.1-0.7
 * ms here, this 10-25 us. Only when the way back is known to be open: a
 * setns(2) into the thread's own namespace asks what the return would, the
 * capability over the user namespace that owns it (mini-run run by root in
 * a user namespace that shares the host's network has it over the
 * container's, not over the host's). CANNOT_RETURN when it cannot: the caller
 * uses a thread. No JavaScript runs meanwhile, and Node's other threads
 * stay in the host's namespace (/proc/<pid>/ns/net, the main thread's,
 * shows the container's for that moment).
 */
#define CANNOT_RETURN INT32_MIN

static int open_and_return(int netns_fd)
{
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return CANNOT_RETURN;
    if (setns(self, CLONE_NEWNET) < 0) {
        close(self);
        return CANNOT_RETURN;
    }
    if (setns(netns_fd, CLONE_NEWNET) < 0) {
        int err = errno;
        close(self);
        return -err;
    }
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    int err = errno;
    /*
     * Allowed a moment ago; the kernel may still fail it for memory (a new
     * nsproxy). A thread left in the container's namespace would make
     * Node's sockets there: rather the end of the process, with a line.
     */
    int back = -1;
    for (int tries = 0; tries < 3 && back < 0; tries++)
        back = setns(self, CLONE_NEWNET);
    if (back < 0) {
        static const char line[] = "mini-run: cannot return to the runtime's network namespace after opening a netlink socket in a container's\n";
        ssize_t ignored = write(2, line, sizeof line - 1);
        (void)ignored;
        abort();
    }
    close(self);
    return fd < 0 ? -err : fd;
}

int mr_netlink_open(int32_t netns_fd)
{
    struct open_in o = { netns_fd, -EINVAL };
    if (netns_fd < 0) {
        open_in_thread(&o);
        return o.result;
    }
    int fd = open_and_return(netns_fd);
    if (fd != CANNOT_RETURN)
        return fd;
    pthread_t t;
    int err = pthread_create(&t, NULL, open_in_thread, &o);
    if (err)
        return -err;
    pthread_join(t, NULL);
    return o.result;
}

/*
 * Send a request, read the answer up to the kernel's ack. The index of the
 * link an RTM_NEWLINK answer names is returned; with out, that answer's
 * payload (ifinfomsg and attributes) is copied there too, for TypeScript
 * to read, and its length returned instead.
 */
static int request(int32_t fd, const uint8_t *msg, int32_t len, uint8_t *out, int32_t out_len)
{
    if (len < (int32_t)sizeof(struct nlmsghdr))
        return -EINVAL;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    while (sendto(fd, msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
        if (errno != EINTR)
            return -errno;
    uint32_t seq = ((const struct nlmsghdr *)msg)->nlmsg_seq;
    char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
    int result = 0;
    for (;;) {
        /* MSG_TRUNC: the answer's whole length, even past the buffer */
        ssize_t n = recv(fd, buf, sizeof buf, MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if ((size_t)n > sizeof buf)
            return -EMSGSIZE;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != seq)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                /* an ack (error 0) ends the answer; a link's message came before it */
                return e->error < 0 ? e->error : result;
            }
            if (h->nlmsg_type == RTM_NEWLINK) {
                int32_t size = (int32_t)NLMSG_PAYLOAD(h, 0);
                if (!out) {
                    result = ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
                } else {
                    if (size > out_len)
                        return -EMSGSIZE;
                    memcpy(out, NLMSG_DATA(h), size);
                    result = size;
                }
            }
            if (h->nlmsg_type == NLMSG_DONE)
                return result;
        }
    }
}

int mr_netlink_request(int32_t fd, const uint8_t *msg, int32_t len)
{
    return request(fd, msg, len, NULL, 0);
}

int mr_netlink_link(int32_t fd, const uint8_t *msg, int32_t len, uint8_t *out, int32_t out_len)
{
    return request(fd, msg, len, out, out_len);
}

int mr_if_index(const char *name)
{
    unsigned index = if_nametoindex(name);
    return index == 0 ? -errno : (int)index;
}
