/*
 * monitor-log.h: the container's output as Docker json-file lines, and the
 * RFC 3339 timestamps the monitor writes (monitor-log.c). Used by
 * mini-run-monitor (monitor.c) only.
 */
#ifndef MINI_RUN_MONITOR_LOG_H
#define MINI_RUN_MONITOR_LOG_H

#include <stddef.h>
#include <time.h>

/* A line longer than this is written in pieces of at most this size, each
 * without a "\n" (Docker's json-file driver splits at 16 KiB too). */
#define LOG_LINE_MAX 16384

/* "2006-01-02T15:04:05.000000000Z": Docker's RFC3339NanoFixed, always nine
 * digits of fraction, so that the lines sort as text. */
#define TIME_LEN 30

/* One of the container's output pipes and the partial line read from it. */
struct log_stream {
    const char *name; /* "stdout" or "stderr": the line's "stream" */
    int fd;           /* the pipe's read end; -1 once it is done */
    size_t len;       /* bytes of an unfinished line in buf */
    char buf[LOG_LINE_MAX];
};

/* One read(2) from the pipe; every complete line goes to log_fd. Returns 1
 * while the pipe is open, 0 at end of file or on an error (the partial line
 * is then written and the pipe closed). */
int log_stream_read(struct log_stream *s, int log_fd);

/* Write what is left of an unfinished line and close the pipe: the
 * container exited and something else still holds its write end. */
void log_stream_close(struct log_stream *s, int log_fd);

/* ts as TIME_LEN characters (not NUL-terminated) in UTC. */
void format_time(char *out, const struct timespec *ts);

#endif
