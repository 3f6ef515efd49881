/*
 * monitor-args.c: mini-run-monitor's command line (documented at the top of
 * monitor.c) and the fds it names, put where the container needs them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-io.h"
#include "monitor-log.h"
#include "monitor.h"

void say(const char *s)
{
    (void)write_all(2, s, strlen(s));
}

static int parse_int(const char *s, long long min, long long max, long long *v)
{
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 0);
    if (errno || end == s || *end || n < min || n > max)
        return -1;
    *v = n;
    return 0;
}

static int parse_fd(const char *s, int allow_none, int *fd)
{
    long long v;
    if (parse_int(s, allow_none ? -1 : 0, INT_MAX, &v) < 0)
        return -1;
    *fd = (int)v;
    return 0;
}

/* "N" or "N:M" */
static int parse_keep(char *s, int *from, int *to)
{
    char *colon = strchr(s, ':');
    if (colon)
        *colon = '\0';
    if (parse_fd(s, 0, from) < 0 || parse_fd(colon ? colon + 1 : s, 0, to) < 0)
        return -1;
    return *to >= 5 ? 0 : -1; /* 0-4 are the stage's stdio, program and report */
}

int parse_args(int argc, char **argv, struct options *o)
{
    int have_flags = 0, have_cgroup = 0;
    *o = (struct options){ .cgroup_fd = -1, .stage_fd = -1, .program_fd = -1, .sync_fd = -1,
                           .report_fd = -1, .pid_fd = -1, .stdin_fd = -1, .pty_socket_fd = -1,
                           .log_max_file = 1 };
    for (int i = 1; i < argc; i += 2) {
        const char *name = argv[i];
        if (!strcmp(name, "--interactive") || !strcmp(name, "--wait-attach")) { /* the flags without a value */
            if (name[2] == 'i')
                o->interactive = 1;
            else
                o->wait_attach = 1;
            i--;
            continue;
        }
        char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = !value;
        long long v;
        if (bad)
            ;
        else if (!strcmp(name, "--clone-flags")) {
            bad = parse_int(value, 0, INT64_MAX, &v) < 0;
            o->clone_flags = v;
            have_flags = 1;
        } else if (!strcmp(name, "--cgroup-fd")) {
            bad = parse_fd(value, 1, &o->cgroup_fd) < 0;
            have_cgroup = 1;
        } else if (!strcmp(name, "--stage-fd"))
            bad = parse_fd(value, 0, &o->stage_fd) < 0;
        else if (!strcmp(name, "--program-fd"))
            bad = parse_fd(value, 0, &o->program_fd) < 0;
        else if (!strcmp(name, "--sync-fd"))
            bad = parse_fd(value, 0, &o->sync_fd) < 0;
        else if (!strcmp(name, "--report-fd"))
            bad = parse_fd(value, 0, &o->report_fd) < 0;
        else if (!strcmp(name, "--pid-fd"))
            bad = parse_fd(value, 0, &o->pid_fd) < 0;
        else if (!strcmp(name, "--stdin-fd"))
            bad = parse_fd(value, 0, &o->stdin_fd) < 0;
        else if (!strcmp(name, "--pty-socket-fd"))
            bad = parse_fd(value, 0, &o->pty_socket_fd) < 0;
        else if (!strcmp(name, "--keep-fd")) {
            bad = o->nkeep == MAX_KEEP || parse_keep(value, &o->keep_from[o->nkeep], &o->keep_to[o->nkeep]) < 0;
            o->nkeep++;
        } else if (!strcmp(name, "--log"))
            o->log = value;
        else if (!strcmp(name, "--log-max-size")) {
            bad = parse_int(value, 1, INT64_MAX, &v) < 0;
            o->log_max_size = v;
        } else if (!strcmp(name, "--log-max-file")) {
            bad = parse_int(value, 1, INT_MAX, &v) < 0;
            o->log_max_file = (int)v;
        }
        else if (!strcmp(name, "--exit-file"))
            o->exit_file = value;
        else if (!strcmp(name, "--attach-socket"))
            o->attach_socket = value;
        else if (!strcmp(name, "--exit-command")) {
            bad = o->exit_argc != 0 || !*value;
            o->exit_argv[o->exit_argc++] = value;
        } else if (!strcmp(name, "--exit-command-arg")) {
            bad = o->exit_argc == 0 || o->exit_argc > MAX_EXIT_ARGS;
            if (!bad)
                o->exit_argv[o->exit_argc++] = value;
        }
        else
            bad = 1;
        if (bad) {
            say("mini-run-monitor: bad argument: ");
            say(name);
            say("\n");
            return -1;
        }
    }
    if (!have_flags || !have_cgroup || (o->interactive && o->stdin_fd >= 0) || (o->wait_attach && !o->attach_socket) || o->stage_fd < 0 || o->program_fd < 0 || o->sync_fd < 0 ||
        o->report_fd < 0 || o->pid_fd < 0 || !o->log || !o->exit_file || !*o->exit_file) {
        say("usage: mini-run-monitor --clone-flags N --cgroup-fd N|-1 --stage-fd N --program-fd N\n"
            "       --sync-fd N --report-fd N --pid-fd N [--keep-fd N[:M]]...\n"
            "       [--stdin-fd N | --interactive] [--pty-socket-fd N]\n"
            "       --log PATH [--log-max-size BYTES] [--log-max-file N] --exit-file PATH\n"
            "       [--attach-socket PATH [--wait-attach]]\n"
            "       [--exit-command PATH [--exit-command-arg ARG]...]\n");
        return -1;
    }
    return 0;
}
/*
 * Close every fd from 3 on but the n in keep (close_range(2), Linux 5.9,
 * over the gaps between them; through syscall(2): musl 1.2.3 has no wrapper).
 */
static int close_all_but(const int *keep, int n)
{
    unsigned lo = 3;
    for (;;) {
        unsigned next = ~0U;
        for (int i = 0; i < n; i++)
            if (keep[i] >= 0 && (unsigned)keep[i] >= lo && (unsigned)keep[i] < next)
                next = (unsigned)keep[i];
        if (next > lo && syscall(SYS_close_range, lo, next - 1, 0) < 0)
            return errno;
        if (next == ~0U)
            return 0;
        lo = next + 1;
    }
}

/*
 * Put the inherited fds where they must be: each keep fd on its target
 * number, everything else out of the way above all of them. Every fd is
 * first copied above the highest number in play (close-on-exec) and the
 * originals closed, so no move can land on an fd still needed, and an fd
 * given twice (one memfd as two arguments) is no problem.
 *
 * Every other fd is closed: the monitor lives as long as the container,
 * and whatever its caller's caller left open without O_CLOEXEC (the pipe
 * of a shell's `$(mini-run run -d ...)`, a CI runner's log pipe) would
 * otherwise stay open as long, and the reader of that pipe would wait for
 * its end of file as long.
 */
int place_fds(struct options *o)
{
    int *fds[] = { &o->cgroup_fd, &o->stage_fd, &o->program_fd, &o->sync_fd,
                   &o->report_fd, &o->pid_fd, &o->stdin_fd, &o->pty_socket_fd };
    enum { nfds = sizeof fds / sizeof fds[0] };
    int top = 3;
    for (int i = 0; i < nfds; i++)
        if (*fds[i] >= top)
            top = *fds[i] + 1;
    for (int i = 0; i < o->nkeep; i++) {
        for (int j = 0; j < i; j++)
            if (o->keep_to[j] == o->keep_to[i])
                return EINVAL;
        if (o->keep_from[i] >= top)
            top = o->keep_from[i] + 1;
        if (o->keep_to[i] >= top)
            top = o->keep_to[i] + 1;
    }
    int moved[nfds], keep_moved[MAX_KEEP];
    for (int i = 0; i < nfds; i++) {
        moved[i] = *fds[i] < 0 ? -1 : fcntl(*fds[i], F_DUPFD_CLOEXEC, top);
        if (*fds[i] >= 0 && moved[i] < 0)
            return errno;
    }
    for (int i = 0; i < o->nkeep; i++) {
        keep_moved[i] = fcntl(o->keep_from[i], F_DUPFD_CLOEXEC, top);
        if (keep_moved[i] < 0)
            return errno;
    }
    /* 0-2 stay: they are the monitor's own stdio (/dev/null), whatever
     * else they are given as. */
    for (int i = 0; i < nfds; i++)
        if (*fds[i] > 2)
            close(*fds[i]);
    for (int i = 0; i < o->nkeep; i++)
        if (o->keep_from[i] > 2)
            close(o->keep_from[i]);
    for (int i = 0; i < nfds; i++)
        *fds[i] = moved[i];
    for (int i = 0; i < o->nkeep; i++) {
        if (dup3(keep_moved[i], o->keep_to[i], O_CLOEXEC) < 0)
            return errno;
        close(keep_moved[i]);
    }
    int kept[nfds + MAX_KEEP];
    for (int i = 0; i < nfds; i++)
        kept[i] = moved[i];
    for (int i = 0; i < o->nkeep; i++)
        kept[nfds + i] = o->keep_to[i];
    return close_all_but(kept, nfds + o->nkeep);
}
