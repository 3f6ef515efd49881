/*
 * monitor-attach.c: mini-run-monitor's attach socket (the protocol is
 * described in monitor-attach.h). Static buffers only: the monitor stays
 * resident for as long as its container runs, and does not allocate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fd-io.h"
#include "monitor-attach.h"

/* A client that takes longer than this to accept output is dropped. */
#define CLIENT_SEND_TIMEOUT_S 5
/* How long the exit waits for attached clients to close their end. */
#define FINISH_LINGER_MS 1000

struct client {
    int fd;                  /* -1: a free slot */
    unsigned char head[8];   /* the header being read */
    int head_len;
    unsigned char type;      /* of the frame whose payload is being read */
    uint32_t left;           /* payload bytes still to come */
    unsigned char small[4];  /* a resize frame's payload */
    int small_len;
};

static struct client clients[ATTACH_MAX_CLIENTS] = {
    [0 ... ATTACH_MAX_CLIENTS - 1] = { .fd = -1 },
};

/* stdin bytes the container has not taken yet (its pipe or pty was full) */
static char pending[16384];
static size_t pending_len;

int attach_listen(const char *path)
{
    /* sun_path holds 108 bytes; a state directory can be longer than
     * that. The directory is opened and the socket bound through
     * /proc/self/fd/N/NAME: the magic link names the opened directory. */
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char dir[PATH_MAX];
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (!*name || strlen(name) > 64 || n >= sizeof dir)
        return -ENAMETOOLONG;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int dfd = open(!slash ? "." : n ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dfd, name);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int err = fd < 0 ? errno : 0;
    if (!err) {
        /* a socket left by an earlier monitor of the same container */
        unlinkat(dfd, name, 0);
        /* only the state directory's owner reaches it (the directory is
         * 0700); the socket itself is made 0600 all the same */
        mode_t old = umask(0177);
        if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, ATTACH_MAX_CLIENTS) < 0)
            err = errno;
        umask(old);
    }
    close(dfd);
    if (err) {
        if (fd >= 0)
            close(fd);
        return -err;
    }
    return fd;
}

int attach_clients(void)
{
    int n = 0;
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
        n += clients[i].fd >= 0;
    return n;
}

static void drop(struct client *c)
{
    close(c->fd);
    c->fd = -1;
}

void attach_accept(int listen_fd)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        if (clients[i].fd < 0) {
            struct timeval tv = { .tv_sec = CLIENT_SEND_TIMEOUT_S };
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            clients[i] = (struct client){ .fd = fd };
            return;
        }
    }
    close(fd); /* full */
}

static int stdin_fd(const struct attach_target *t)
{
    return t->tty_fd >= 0 ? t->tty_fd : t->stdin_fd;
}

int attach_poll_fds(struct pollfd *pfd, const struct attach_target *t)
{
    int n = 0;
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
        pfd[n++] = (struct pollfd){ .fd = clients[i].fd, .events = pending_len ? 0 : POLLIN };
    pfd[n++] = (struct pollfd){ .fd = pending_len ? stdin_fd(t) : -1, .events = POLLOUT };
    return n;
}

/* Write what the container takes now; keep the rest. */
static void flush_stdin(const struct attach_target *t)
{
    int fd = stdin_fd(t);
    if (fd < 0) {
        pending_len = 0;
        return;
    }
    while (pending_len > 0) {
        ssize_t w = write(fd, pending, pending_len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0) {
            pending_len = 0; /* the container closed it: nothing will take it */
            return;
        }
        memmove(pending, pending + w, pending_len - (size_t)w);
        pending_len -= (size_t)w;
    }
}

static void to_stdin(const struct attach_target *t, const char *data, size_t len)
{
    if (stdin_fd(t) < 0)
        return;
    /* clients are read only while nothing is pending, one read at a time:
     * a read's worth always fits */
    if (len > sizeof pending - pending_len)
        len = sizeof pending - pending_len;
    memcpy(pending + pending_len, data, len);
    pending_len += len;
    flush_stdin(t);
}

static void frame_done(struct client *c, struct attach_target *t)
{
    if (c->type == ATTACH_RESIZE && c->small_len == 4 && t->tty_fd >= 0) {
        struct winsize ws = {
            .ws_row = (unsigned short)(c->small[0] << 8 | c->small[1]),
            .ws_col = (unsigned short)(c->small[2] << 8 | c->small[3]),
        };
        ioctl(t->tty_fd, TIOCSWINSZ, &ws);
    } else if (c->type == ATTACH_CLOSE_STDIN && t->tty_fd < 0 && t->stdin_fd >= 0) {
        flush_stdin(t);
        close(t->stdin_fd);
        t->stdin_fd = -1;
        pending_len = 0;
    }
    c->head_len = 0;
    c->small_len = 0;
}

static void client_read(struct client *c, struct attach_target *t)
{
    char buf[8192];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        drop(c);
        return;
    }
    for (size_t i = 0; i < (size_t)n;) {
        if (c->head_len < 8) {
            size_t take = 8 - (size_t)c->head_len;
            if (take > (size_t)n - i)
                take = (size_t)n - i;
            memcpy(c->head + c->head_len, buf + i, take);
            c->head_len += (int)take;
            i += take;
            if (c->head_len == 8) {
                c->type = c->head[0];
                c->left = (uint32_t)c->head[4] << 24 | (uint32_t)c->head[5] << 16 | (uint32_t)c->head[6] << 8 | c->head[7];
                if (c->left == 0)
                    frame_done(c, t);
            }
            continue;
        }
        size_t take = c->left < (size_t)n - i ? c->left : (size_t)n - i;
        if (c->type == ATTACH_STDIN) {
            to_stdin(t, buf + i, take);
        } else if (c->type == ATTACH_RESIZE) {
            for (size_t k = 0; k < take && c->small_len < 4; k++)
                c->small[c->small_len++] = (unsigned char)buf[i + k];
        }
        i += take;
        c->left -= (uint32_t)take;
        if (c->left == 0)
            frame_done(c, t);
    }
}

void attach_handle(const struct pollfd *pfd, int n, struct attach_target *t)
{
    for (int i = 0; i < ATTACH_MAX_CLIENTS && i < n; i++)
        if (clients[i].fd >= 0 && pfd[i].revents)
            client_read(&clients[i], t);
    if (n > ATTACH_MAX_CLIENTS && pfd[ATTACH_MAX_CLIENTS].revents)
        flush_stdin(t);
}

static void send_frame(struct client *c, int type, const char *data, size_t len)
{
    unsigned char head[8] = { (unsigned char)type, 0, 0, 0, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                              (unsigned char)(len >> 8), (unsigned char)len };
    if (write_all(c->fd, head, sizeof head) < 0 || (len && write_all(c->fd, data, len) < 0))
        drop(c);
}

void attach_send(int type, const char *data, size_t len)
{
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
        if (clients[i].fd >= 0)
            send_frame(&clients[i], type, data, len);
}

void attach_finish(int exit_code)
{
    unsigned char code[4] = { (unsigned char)((unsigned)exit_code >> 24), (unsigned char)((unsigned)exit_code >> 16),
                              (unsigned char)((unsigned)exit_code >> 8), (unsigned char)exit_code };
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        if (clients[i].fd < 0)
            continue;
        send_frame(&clients[i], ATTACH_EXIT, (const char *)code, sizeof code);
        if (clients[i].fd >= 0)
            shutdown(clients[i].fd, SHUT_WR);
    }
    /* Linger until each client has read its end of file and closed: one
     * that writes (a window size, input) to a socket already closed gets
     * EPIPE, and a client such as Node's net.Socket then drops what it had
     * not read yet, the container's whole output for a short-lived one. */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd pfd[ATTACH_MAX_CLIENTS];
        int n = 0;
        for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
            if (clients[i].fd >= 0)
                pfd[n++] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = FINISH_LINGER_MS - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (n == 0 || left <= 0 || poll(pfd, (nfds_t)n, (int)left) <= 0)
            break;
        for (int i = 0, k = 0; i < ATTACH_MAX_CLIENTS; i++) {
            if (clients[i].fd < 0)
                continue;
            if (pfd[k++].revents) {
                char sink[4096];
                if (read(clients[i].fd, sink, sizeof sink) <= 0)
                    drop(&clients[i]);
            }
        }
    }
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
        if (clients[i].fd >= 0)
            drop(&clients[i]);
}
