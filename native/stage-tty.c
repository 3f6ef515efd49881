/*
 * stage-tty.c: MR_OP_OPEN_PTY, a terminal for the container.
 *
 * The pty comes from the devpts mounted in the container, through its
 * /dev/ptmx, so it belongs to the container's own devpts instance. The
 * runtime gets the master over a unix socket (unix(7), SCM_RIGHTS) and
 * relays it to the user's terminal; the container gets the peer as its
 * controlling terminal and fds 0-2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "stage.h"

static int send_fd(int sock, int fd)
{
    char byte = 0;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof control.buf,
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    /* MSG_NOSIGNAL: a runtime that went away is an EPIPE to report, not a
     * SIGPIPE that kills us without a word. */
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? errno : 0;
}

/* Everything after the master is open; the caller closes it. */
static int setup_peer(int master, int sock, uint64_t rows, uint64_t cols)
{
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return errno;
    if (rows > 0 && cols > 0) {
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        if (ioctl(master, TIOCSWINSZ, &ws) < 0)
            return errno;
    }
    /* TIOCGPTPEER (Linux 4.13, ioctl_tty(2)) opens the peer from the master
     * itself. Opening /dev/pts/N by name would trust whatever the
     * container's /dev/pts holds at that path, a symlink included. */
    int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (peer < 0)
        return errno;
    int err = 0;
    /* TIOCSCTTY needs a session leader without a controlling terminal: the
     * program puts MR_OP_SETSID before this step (ioctl_tty(2)). */
    if (ioctl(peer, TIOCSCTTY, 0) < 0)
        err = errno;
    for (int fd = 0; fd <= 2 && !err; fd++)
        if (peer != fd && dup2(peer, fd) < 0)
            err = errno;
    if (!err)
        err = send_fd(sock, master);
    if (peer > 2)
        close(peer);
    return err;
}

int op_open_pty(const struct step *s)
{
    int sock = arg_fd(s, 0);
    uint64_t rows = arg_num(s, 1), cols = arg_num(s, 2);
    if (rows > 0xffff || cols > 0xffff)
        return EINVAL;
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return errno;
    int err = setup_peer(master, sock, rows, cols);
    close(master);
    if (!err && close(sock) < 0)
        err = errno;
    return err;
}
