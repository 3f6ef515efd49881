/*
 * monitor.h: what monitor.c and monitor-args.c share: the command line,
 * parsed, and the placing of the fds it names. The interface itself is
 * documented at the top of monitor.c.
 */
#ifndef MINI_RUN_MONITOR_H
#define MINI_RUN_MONITOR_H

#include <stdint.h>

#define MAX_KEEP 64
#define MAX_EXIT_ARGS 64

struct options {
    int64_t clone_flags;
    int cgroup_fd, stage_fd, program_fd, sync_fd, report_fd, pid_fd, stdin_fd, pty_socket_fd;
    int interactive;
    int keep_from[MAX_KEEP], keep_to[MAX_KEEP];
    int nkeep;
    const char *log, *exit_file;
    /* the attach socket (monitor-attach.h); NULL for none */
    const char *attach_socket;
    /* hold the container's output until a client attaches (at most
     * ATTACH_WAIT_MS): `run -it` and `start -a` attach right after the start */
    int wait_attach;
    /* rotate the log before it passes this many bytes (0: never), keeping
     * this many files */
    long long log_max_size;
    int log_max_file;
    /* argv of the exit command (conmon's --exit-command), NULL-terminated */
    const char *exit_argv[MAX_EXIT_ARGS + 2];
    int exit_argc;
};

/* 0, or -1 after a message on stderr (the arguments are unusable). */
int parse_args(int argc, char **argv, struct options *o);

/* Move the fds of o where they belong and close every other fd above 2
 * (see monitor-args.c). 0 or an errno value; the fds in o are updated. */
int place_fds(struct options *o);

/* A message on stderr (/dev/null when started by mini-run). */
void say(const char *s);

#endif
