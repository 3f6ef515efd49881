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
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
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
 * so a short-lived thread joins the container's and makes the socket there:
 * Node's own threads never leave the host's.
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

int mr_netlink_open(int32_t netns_fd)
{
    struct open_in o = { netns_fd, -EINVAL };
    if (netns_fd < 0) {
        open_in_thread(&o);
        return o.result;
    }
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
