/*
 * monitor-log.c: the container's stdout and stderr as Docker json-file
 * lines, one JSON object per line:
 *
 *   {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:20:30.123456789Z"}
 *
 * as moby's daemon/logger/jsonfilelog writes them: the output is split at
 * newlines (the "\n" stays in "log"), a line longer than LOG_LINE_MAX is cut
 * into pieces without one, and so is an unfinished line at the end. Each
 * line is one write(2) to a file opened with O_APPEND, so a reader
 * following the file (`logs -f`) never sees half of one, and a line never
 * interleaves with another.
 *
 * The escaping is Go's encoding/json (what docker logs users parse): '"',
 * '\\' and control characters escaped, "\n" "\r" "\t" by name, U+2028 and
 * U+2029 as \u2028 and \u2029 (JavaScript string literals reject them),
 * invalid UTF-8 replaced byte by byte with U+FFFD. The file is therefore
 * always valid UTF-8 and every line valid JSON, whatever the container
 * prints.
 *
 * The file is rotated as Docker's json-file driver does (max-size,
 * max-file; see struct log_file): a container that prints without end must
 * not fill the disk, nor grow a log too large to read back.
 *
 * No stdio and no malloc: the monitor stays resident for every detached
 * container, and its only memory is the two pipe buffers and one output
 * line, all static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h> /* renameat only: no stdio streams here */
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fd-io.h"
#include "monitor-log.h"

/* Every input byte becomes at most 6 output bytes (\u00XX, or \ufffd for
 * an invalid byte; U+2028 is 3 bytes in, 6 out). */
#define LINE_OUT_MAX (6 * LOG_LINE_MAX + 128)

static char out[LINE_OUT_MAX];

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * civil_from_days, http://howardhinnant.github.io/date_algorithms.html):
 * gmtime_r would do, but this needs neither time zone files nor locks. */
static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long)yoe + era * 400 + (*m <= 2);
}

static char *digits(char *p, unsigned long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

void format_time(char *o, const struct timespec *ts)
{
    long days = (long)(ts->tv_sec / 86400), secs = (long)(ts->tv_sec % 86400);
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    long y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    o = digits(o, (unsigned long)y, 4);
    *o++ = '-';
    o = digits(o, m, 2);
    *o++ = '-';
    o = digits(o, d, 2);
    *o++ = 'T';
    o = digits(o, (unsigned long)secs / 3600, 2);
    *o++ = ':';
    o = digits(o, (unsigned long)secs / 60 % 60, 2);
    *o++ = ':';
    o = digits(o, (unsigned long)secs % 60, 2);
    *o++ = '.';
    o = digits(o, (unsigned long)ts->tv_nsec, 9);
    *o = 'Z';
}

/*
 * The length of the UTF-8 sequence at p (n bytes available): 1-4 if it is
 * valid, 0 if it is not, -1 if it is valid so far but cut short by the end
 * of the buffer. The ranges are RFC 3629's: no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 */
static int utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0], lo = 0x80, hi = 0xbf;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c < 0xc2)
        return 0;
    if (c < 0xe0) {
        len = 2;
    } else if (c < 0xf0) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c < 0xf5) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if (i >= n)
            return -1;
        if (p[i] < lo || p[i] > hi)
            return 0;
        lo = 0x80;
        hi = 0xbf;
    }
    return (int)len;
}

/* Where to cut a full buffer without splitting a character: before a
 * sequence that the next read would complete. */
static size_t utf8_cut(const char *buf, size_t len)
{
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = (unsigned char)buf[len - back];
        if (c < 0x80)
            break;
        if (c >= 0xc0)
            return utf8_len((const unsigned char *)buf + len - back, back) < 0 ? len - back : len;
    }
    return len;
}

static char *append(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *escape(char *o, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x80) {
            int len = utf8_len(p + i, n - i);
            if (len <= 0) {
                o = append(o, "\\ufffd");
                i++;
            } else if (len == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
                o = append(o, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
                i += 3;
            } else {
                memcpy(o, p + i, (size_t)len);
                o += len;
                i += (size_t)len;
            }
            continue;
        }
        i++;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\n') {
            o = append(o, "\\n");
        } else if (c == '\r') {
            o = append(o, "\\r");
        } else if (c == '\t') {
            o = append(o, "\\t");
        } else if (c < 0x20) {
            o = append(o, "\\u00");
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        } else {
            *o++ = (char)c;
        }
    }
    return o;
}

/* Room for ".<max_file>" after the log's name. */
#define SUFFIX_MAX 12

static int log_reopen(struct log_file *f)
{
    struct stat st;
    f->fd = openat(f->dir, f->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (f->fd < 0)
        return -errno;
    if (fstat(f->fd, &st) < 0) {
        int err = errno;
        close(f->fd);
        f->fd = -1;
        return -err;
    }
    f->size = st.st_size;
    return 0;
}

int log_file_open(struct log_file *f, int dir, const char *name, long long max_size, int max_file)
{
    if (strlen(name) > NAME_MAX - SUFFIX_MAX)
        return -ENAMETOOLONG;
    *f = (struct log_file){ .dir = dir, .name = name, .fd = -1, .max_size = max_size, .max_file = max_file };
    return log_reopen(f);
}

/* "<name>.<i>" in buf */
static const char *rotated(char *buf, const char *name, int i)
{
    size_t n = strlen(name);
    char digits[SUFFIX_MAX];
    int d = 0;
    memcpy(buf, name, n);
    buf[n++] = '.';
    do
        digits[d++] = (char)('0' + i % 10);
    while ((i /= 10) > 0);
    while (d > 0)
        buf[n++] = digits[--d];
    buf[n] = '\0';
    return buf;
}

/*
 * Docker's rotate (daemon/logger/loggerutils/logfile.go). The renames run
 * oldest first, each over the next name up, so a reader always finds the
 * rotated files as .1 ... .k without a gap, the newest as .1. No line is
 * written between renaming the file and creating its successor, so a
 * reader that sees the rename has all of the old file.
 */
static void log_rotate(struct log_file *f)
{
    static char from[NAME_MAX + 1], to[NAME_MAX + 1];
    struct stat st;
    if (f->max_file > 1) {
        int k = 0; /* rotated files there are now */
        while (k < f->max_file - 1 && fstatat(f->dir, rotated(from, f->name, k + 1), &st, 0) == 0)
            k++;
        if (k == f->max_file - 1)
            k--; /* the oldest is renamed over */
        for (int i = k; i >= 1; i--)
            (void)renameat(f->dir, rotated(from, f->name, i), f->dir, rotated(to, f->name, i + 1));
        if (renameat(f->dir, f->name, f->dir, rotated(to, f->name, 1)) == 0) {
            close(f->fd);
            (void)log_reopen(f);
            return;
        }
    }
    /* max-file 1 (Docker truncates then too), or the rename failed: the
     * cap holds either way */
    if (ftruncate(f->fd, 0) == 0)
        f->size = 0;
}

void log_file_write(struct log_file *f, const char *line, size_t n)
{
    if (f->fd >= 0 && f->max_size > 0 && f->size > 0 && f->size + (long long)n > f->max_size)
        log_rotate(f);
    if (f->fd < 0 && log_reopen(f) < 0)
        return;
    /* Nothing to do about a failure (a full disk): the line is lost, and
     * the container must not block on a pipe nobody reads. */
    if (write_all(f->fd, line, n) == 0) {
        f->size += (long long)n;
    } else {
        struct stat st;
        if (fstat(f->fd, &st) == 0)
            f->size = st.st_size;
    }
}

/* One json-file line for n bytes of output (n <= LOG_LINE_MAX), in one write. */
static void write_line(const struct log_stream *s, struct log_file *log, const char *line, size_t n, const char *time)
{
    char *o = append(out, "{\"log\":\"");
    o = escape(o, (const unsigned char *)line, n);
    o = append(o, "\",\"stream\":\"");
    o = append(o, s->name);
    o = append(o, "\",\"time\":\"");
    memcpy(o, time, TIME_LEN);
    o += TIME_LEN;
    o = append(o, "\"}\n");
    log_file_write(log, out, (size_t)(o - out));
}

int log_stream_read(struct log_stream *s, struct log_file *log)
{
    ssize_t n;
    do
        n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return 1;
    if (n <= 0) {
        log_stream_close(s, log);
        return 0;
    }
    if (s->tap)
        s->tap(s->tap_type, s->buf + s->len, (size_t)n);
    /* One timestamp per read: the lines of one read arrived together. */
    struct timespec now;
    char time[TIME_LEN];
    clock_gettime(CLOCK_REALTIME, &now);
    format_time(time, &now);

    size_t end = s->len + (size_t)n, start = 0;
    for (size_t i = s->len; i < end; i++) {
        if (s->buf[i] == '\n') {
            write_line(s, log, s->buf + start, i + 1 - start, time);
            start = i + 1;
        }
    }
    if (start == 0 && end == sizeof s->buf) {
        /* A full buffer without a newline: write it as a piece of a line. */
        start = utf8_cut(s->buf, end);
        if (start == 0)
            start = end; /* cannot happen (a cut backs off 3 bytes at most) */
        write_line(s, log, s->buf, start, time);
    }
    s->len = end - start;
    memmove(s->buf, s->buf + start, s->len);
    return 1;
}

void log_stream_close(struct log_stream *s, struct log_file *log)
{
    if (s->len > 0) {
        struct timespec now;
        char time[TIME_LEN];
        clock_gettime(CLOCK_REALTIME, &now);
        format_time(time, &now);
        write_line(s, log, s->buf, s->len, time);
        s->len = 0;
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
