/*
 * fd-io.h: helpers shared by libminirun.so and mini-run-monitor (fd-io.c).
 * mr_recv_fd, the other one, is declared in minirun.h.
 */
#ifndef MINI_RUN_FD_IO_H
#define MINI_RUN_FD_IO_H

#include <stddef.h>

/* write(2) all of len bytes, retrying on EINTR and short writes. 0, or -1
 * with errno set. */
int write_all(int fd, const void *data, size_t len);

#endif
