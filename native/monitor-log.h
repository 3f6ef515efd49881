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

/*
 * The log file, rotated as Docker's json-file driver does (max-size,
 * max-file): before a line would make it larger than max_size, name.1 ...
 * become name.2 ..., the oldest beyond max_file - 1 is replaced, name
 * becomes name.1 and a new name is created; with max_file 1 it is
 * truncated instead.
 */
struct log_file {
    int dir;            /* O_PATH fd of the directory that holds it */
    const char *name;   /* its name there (container.log) */
    int fd;             /* O_APPEND; -1 while it cannot be opened */
    long long size;     /* bytes in it */
    long long max_size; /* 0: never rotated */
    int max_file;       /* files kept, this one included (>= 1) */
};

/* Open (create) name in dir. 0 or -errno. */
int log_file_open(struct log_file *f, int dir, const char *name, long long max_size, int max_file);

/* One json-file line, in one write(2), after a rotation if it would not
 * fit. A line that cannot be written (a full disk) is lost. */
void log_file_write(struct log_file *f, const char *line, size_t n);

/* One of the container's output pipes and the partial line read from it. */
struct log_stream {
    const char *name; /* "stdout" or "stderr": the line's "stream" */
    int fd;           /* the pipe's read end; -1 once it is done */
    /* also given every read's bytes as they come (the attach socket's
     * clients), with tap_type; NULL for none */
    void (*tap)(int type, const char *data, size_t len);
    int tap_type;
    size_t len;       /* bytes of an unfinished line in buf */
    char buf[LOG_LINE_MAX];
};

/* One read(2) from the pipe; every complete line goes to log. Returns 1
 * while the pipe is open (EAGAIN too: a pty master is non-blocking, for its
 * writer's sake), 0 at end of file or on an error (the partial line is then
 * written and the pipe closed). */
int log_stream_read(struct log_stream *s, struct log_file *log);

/* Write what is left of an unfinished line and close the pipe: the
 * container exited and something else still holds its write end. */
void log_stream_close(struct log_stream *s, struct log_file *log);

/* ts as TIME_LEN characters (not NUL-terminated) in UTC. */
void format_time(char *out, const struct timespec *ts);

#endif
