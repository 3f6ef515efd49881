/*
 * fd-io.c: the two fd helpers both libminirun.so and mini-run-monitor need
 * (the monitor is static and does not link libminirun.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd-io.h"
#pragma GCC visibility push(default)
#include "minirun.h"
#pragma GCC visibility pop

int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int mr_recv_fd(int32_t sock)
{
    char byte;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof control.buf,
    };
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EPIPE;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -EBADMSG;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    /* MSG_CTRUNC: more fds were sent than we had room for, and the kernel
     * closed the rest; the one we got is still ours, but the peer broke the
     * protocol. */
    if (msg.msg_flags & MSG_CTRUNC) {
        close(fd);
        return -EBADMSG;
    }
    return fd;
}
