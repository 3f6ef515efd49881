/*
 * monitor-attach.h: the attach socket of mini-run-monitor (monitor-attach.c),
 * through which `mini-run attach`, `start -a` and `run -it` reach a
 * container that the CLI did not stay with, as conmon's attach socket does.
 *
 * A unix stream socket in the container's state directory. Every message,
 * both ways, is a frame: an 8-byte header, then `length` bytes.
 *
 *   byte 0     type
 *   bytes 1-3  0
 *   bytes 4-7  length, big-endian
 *
 * (Docker's attach stream multiplexes stdout and stderr with the same
 * header, stdcopy's.) The TypeScript side is src/runtime/process/
 * attach-protocol.ts; the numbers below are defined once on each side.
 *
 * monitor -> client:
 *   ATTACH_STDOUT (1), ATTACH_STDERR (2): the container's output as it is
 *       read (a pty's, with -t, is stdout), also logged as always;
 *   ATTACH_EXIT (3): length 4, the exit code (128+N for signal N),
 *       big-endian, once the container has exited, its output is drained
 *       and the exit file written; then the monitor closes the connection.
 * client -> monitor:
 *   ATTACH_STDIN (0): bytes for the container's stdin (its pty with -t; the
 *       pipe the monitor holds with -i); ignored when it has neither;
 *   ATTACH_RESIZE (5): length 4, rows and columns (two big-endian u16):
 *       TIOCSWINSZ on the pty, so the kernel sends SIGWINCH inside;
 *   ATTACH_CLOSE_STDIN (6): the client's stdin ended: the container's stdin
 *       pipe is closed (Docker's StdinOnce); nothing for a pty.
 *
 * A client that disconnects detaches: the container goes on. The monitor
 * never blocks on a client for long: writes to a client time out after
 * CLIENT_SEND_TIMEOUT_S and the client is dropped; stdin is written
 * without blocking, and clients are not read while stdin is full.
 */
#ifndef MINI_RUN_MONITOR_ATTACH_H
#define MINI_RUN_MONITOR_ATTACH_H

#include <poll.h>
#include <stddef.h>

enum {
    ATTACH_STDIN = 0,
    ATTACH_STDOUT = 1,
    ATTACH_STDERR = 2,
    ATTACH_EXIT = 3,
    ATTACH_RESIZE = 5,
    ATTACH_CLOSE_STDIN = 6,
};

#define ATTACH_MAX_CLIENTS 8

/* Where stdin goes: the pty master (-t) or the write end of the stdin pipe
 * (-i); -1 for none. Both non-blocking. */
struct attach_target {
    int tty_fd;
    int stdin_fd;
};

/* Listen at path (its directory is opened first, so the path may be
 * longer than sun_path allows). The listening fd, or -errno. */
int attach_listen(const char *path);

/* How many clients are connected. */
int attach_clients(void);

/* Accept a client on the listening fd. */
void attach_accept(int listen_fd);

/* Add the fds to poll: each client (POLLIN unless stdin is full) and the
 * stdin target (POLLOUT while it is). Returns how many were added. */
int attach_poll_fds(struct pollfd *pfd, const struct attach_target *t);

/* Handle what poll reported on the n fds attach_poll_fds added. */
void attach_handle(const struct pollfd *pfd, int n, struct attach_target *t);

/* Send the container's output to every client. */
void attach_send(int type, const char *data, size_t len);

/* Send the exit code to every client and close them. */
void attach_finish(int exit_code);

#endif
