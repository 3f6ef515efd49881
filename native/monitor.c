/*
 * mini-run-monitor: the parent of a detached container (`run -d`), in the
 * manner of podman's conmon.
 *
 * Why it exists: a container's parent is the one process that can reap it
 * and learn its exit status (wait(2)), and something must read its stdout
 * and stderr as long as it runs, or it blocks on a full pipe. The CLI that
 * started the container leaves; this small static program stays, one per
 * detached container, in its own session. It decides nothing: every path
 * and fd comes from its arguments (src/runtime/container/start-detached.ts).
 *
 * It clones the container with mr_spawn (spawn.c, linked in): the same
 * clone3() and trampoline as a foreground run, so the TypeScript side does
 * the same handshake (id maps, sync byte, failure report) directly with the
 * container process, through the pipe ends it kept.
 *
 * monitor.c: the start and the loop (output, reaping, the exit file);
 * monitor-args.c: the command line and the inherited fds; monitor-log.c:
 * the json-file log lines and the log's rotation.
 *
 * ---------------------------------------------------------------------------
 * Interface (the TypeScript side points here)
 *
 *   mini-run-monitor --clone-flags N --cgroup-fd N|-1 --stage-fd N
 *                    --program-fd N --sync-fd N --report-fd N --pid-fd N
 *                    [--keep-fd N[:M]]... [--stdin-fd N | --interactive]
 *                    [--pty-socket-fd N] --log PATH [--log-max-size BYTES]
 *                    [--log-max-file N] --exit-file PATH
 *                    [--attach-socket PATH [--wait-attach]]
 *                    [--exit-command PATH [--exit-command-arg ARG]...]
 *
 * Every fd is one the monitor inherited (spawnProgram's list, mr_spawn_program:
 * fds 3, 4, 5...); all are passed on to mr_spawn as in minirun.h:
 *   --clone-flags  clone3 flags, decimal or 0x hex (SIGCHLD is added)
 *   --cgroup-fd    an O_DIRECTORY fd of the container's cgroup, for
 *                  CLONE_INTO_CGROUP; -1 for none
 *   --stage-fd     the sealed memfd of mini-run-stage (mr_sealed_copy)
 *   --program-fd   the memfd of the step program (mr_memfd_data)
 *   --sync-fd      the read end of the sync pipe (the caller keeps the write end)
 *   --report-fd    the write end of the report pipe (the caller keeps the read end)
 *   --pid-fd       the write end of a pipe: the monitor writes the
 *                  container's pid (as the monitor's PID namespace sees it)
 *                  as a 4-byte native-endian int and closes it; a negative
 *                  value is -errno: the container was not started (bad
 *                  arguments, the log not opened, clone3 failed) and the
 *                  monitor exits 125. End of file without 4 bytes: the
 *                  monitor died or its arguments were unusable.
 *   --keep-fd N:M  fd N of the monitor reaches the container's stage as fd M
 *                  (M >= 5; "N" alone means N:N): the step program names
 *                  keep fds by the number the caller had, which is not the
 *                  number the monitor got them as.
 *   --stdin-fd     the container's stdin; /dev/null without it
 *   --interactive  stdin is a pipe whose write end the monitor holds open
 *                  and never writes (Docker's `run -d -i`: a shell waits
 *                  for input instead of reading end of file and leaving)
 *   --pty-socket-fd
 *                  the caller's end of the socket on which the stage's
 *                  open_pty step sends the pty master (`run -d -t`): the
 *                  monitor receives it and logs what the container writes to
 *                  its terminal as "stdout", as Docker does; it holds the
 *                  master open and never writes to it
 *   --log          the json-file log (monitor-log.c), opened with
 *                  O_APPEND|O_CREAT (mode 0640) before the clone
 *   --log-max-size, --log-max-file
 *                  Docker's json-file max-size (bytes, >= 1) and max-file
 *                  (>= 1): before a line would make the log larger than
 *                  BYTES, PATH.1 ... PATH.(N-2) are renamed one up (over
 *                  the oldest, PATH.(N-1)), PATH becomes PATH.1 and a new
 *                  PATH is created; with N = 1 it is truncated instead.
 *                  Without --log-max-size the log is never rotated (the
 *                  CLI passes both, log-options.ts holding the default, but
 *                  for --log-driver none, whose log is /dev/null)
 *   --exit-file    written when the container has exited and its output is
 *                  logged: {"exitCode":N,"signal":S|null,"finishedAt":"<RFC3339Nano>"}
 *                  (exitCode 128+S when killed by signal S), as PATH.tmp
 *                  then renamed, so a reader sees all of it or nothing;
 *                  mode 0640 like the log: not for every user of the host
 *   --attach-socket
 *                  listen here (before the clone) for clients that attach
 *                  to the container: its output as it comes, their input
 *                  to its stdin or pty, its exit code at the end
 *                  (monitor-attach.h); the socket is removed at exit
 *   --wait-attach  read none of the container's output, and report none
 *                  of its exit, until the first client has connected (at
 *                  most ATTACH_WAIT_MS), so that `run -it` and `start -a`,
 *                  which connect right after the start, see all of it
 *   --exit-command, --exit-command-arg
 *                  a program the monitor execs (it replaces the monitor)
 *                  once the exit file is written, with these arguments
 *                  (argv[0] is PATH), stdio /dev/null, cwd /: `run -d`
 *                  passes `mini-run internal cleanup <id>`, which tears the
 *                  network down, releases the cgroup and, with --rm,
 *                  removes the container (podman's conmon runs `podman
 *                  container cleanup` the same way)
 *
 * The container gets stdin (above), and stdout and stderr each a pipe the
 * monitor reads. Once the pid is written, the monitor holds none of the
 * fds it was given (so the caller sees end of file on the report pipe) and
 * runs until the container exits; it then reads its output to the end, but
 * stops once none has come for EXIT_GRACE_MS, or EXIT_DRAIN_MS after the
 * exit (an orphan that kept stdout open must not keep the monitor alive),
 * writes the exit file and exits 0, or execs the exit command.
 * Exit status 125: the container was not started; 1: the exit file could
 * not be written, or the exit command could not be executed.
 * ---------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h> /* renameat only: no stdio streams here */
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "default-signals.h"
#include "fd-io.h"
#include "minirun.h"
#include "monitor-attach.h"
#include "monitor-log.h"
#include "monitor.h"

/* After the exit: the longest silence on the output before the monitor
 * stops reading. A silence, not a time since the exit: a busy monitor (a
 * loaded host, a log rotating every few kB) may still be reading what the
 * container wrote before it exited, and must not drop it (it did: the tail
 * of a fast writer's log, test/sec-logs-bounded.test.ts). */
#define EXIT_GRACE_MS 1000
/* ...and the longest it reads after the exit at all: an orphan (--pid host)
 * that keeps writing must not keep the monitor alive. */
#define EXIT_DRAIN_MS 30000
/* --wait-attach: the longest the output is held for a client that does
 * not come (the CLI that asked for it died between the start and its
 * connect); the container only blocks on a full pipe meanwhile */
#define ATTACH_WAIT_MS 5000

static struct log_file container_log;
static struct log_stream out_stream = { .name = "stdout", .fd = -1, .tap_type = ATTACH_STDOUT };
static struct log_stream err_stream = { .name = "stderr", .fd = -1, .tap_type = ATTACH_STDERR };
/* run -d -t: the pty master, once the stage sent it */
static struct log_stream tty_stream = { .name = "stdout", .fd = -1, .tap_type = ATTACH_STDOUT };

/* Tell the caller the container will not start, then leave. */
static void __attribute__((noreturn)) give_up(int pid_fd, int err)
{
    int32_t v = -err;
    if (pid_fd >= 0)
        (void)write_all(pid_fd, &v, sizeof v);
    _exit(125);
}

/* The directory of the exit file or the log, opened now: the monitor
 * leaves its working directory (it must not keep the caller's busy), and a
 * relative path would then mean something else. */
static int open_parent_dir(const char *path, const char **name)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (!**name || strlen(*name) > NAME_MAX - 4)
        return -ENAMETOOLONG;
    char dir[PATH_MAX];
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof dir)
        return -ENAMETOOLONG;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int fd = open(!slash ? "." : n ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static char *put_int(char *o, long v)
{
    char tmp[24];
    int n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0)
        *o++ = '-';
    while (n > 0)
        *o++ = tmp[--n];
    return o;
}

static char *put_str(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static int write_exit_file(int dir, const char *name, int status, const struct timespec *finished)
{
    char buf[128], *o = buf;
    o = put_str(o, "{\"exitCode\":");
    if (WIFSIGNALED(status)) {
        o = put_int(o, 128 + WTERMSIG(status));
        o = put_str(o, ",\"signal\":");
        o = put_int(o, WTERMSIG(status));
    } else {
        o = put_int(o, WEXITSTATUS(status));
        o = put_str(o, ",\"signal\":null");
    }
    o = put_str(o, ",\"finishedAt\":\"");
    format_time(o, finished);
    o += TIME_LEN;
    o = put_str(o, "\"}\n");

    char tmp[NAME_MAX + 1];
    size_t n = strlen(name);
    memcpy(tmp, name, n);
    memcpy(tmp + n, ".tmp", 5);
    int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    int err = write_all(fd, buf, (size_t)(o - buf));
    if (close(fd) < 0 || err < 0 || renameat(dir, tmp, dir, name) < 0) {
        unlinkat(dir, tmp, 0);
        return -1;
    }
    return 0;
}

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_args(argc, argv, &o) < 0) {
        /* The pid fd, if it was named, still gets an answer. */
        for (int i = 1; i + 1 < argc; i++)
            if (!strcmp(argv[i], "--pid-fd"))
                give_up(atoi(argv[i + 1]), EINVAL);
        _exit(125);
    }

    /* Its own session: no terminal's hangup or job-control signal from the
     * CLI reaches it (Node's detached spawn has already done it; EPERM). */
    setsid();
    /* As a subreaper it becomes the parent of the container's orphans when
     * there is no PID namespace to collect them, and not init
     * (PR_SET_CHILD_SUBREAPER, prctl(2)): it reaps them and moves on. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* glibc's posix_spawn (mr_spawn_program) left its internal signals ignored: passed on to the
     * container and the exit command otherwise */
    default_signals();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    /* SIGCHLD is read from a signalfd in the poll loop; it must be blocked
     * for that (signalfd(2)). mr_spawn's child unblocks everything. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);

    int err = place_fds(&o);
    if (err)
        give_up(o.pid_fd, err);
    int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0)
        give_up(o.pid_fd, errno);
    const char *log_name, *exit_name;
    int log_dir = open_parent_dir(o.log, &log_name);
    if (log_dir < 0)
        give_up(o.pid_fd, -log_dir);
    if ((err = log_file_open(&container_log, log_dir, log_name, o.log_max_size, o.log_max_file)) < 0)
        give_up(o.pid_fd, -err);
    int exit_dir = open_parent_dir(o.exit_file, &exit_name);
    if (exit_dir < 0)
        give_up(o.pid_fd, -exit_dir);
    int listen_fd = -1;
    if (o.attach_socket && (listen_fd = attach_listen(o.attach_socket)) < 0)
        give_up(o.pid_fd, -listen_fd);
    /* -i: the write end stays open, unused, until the monitor exits */
    int stdin_pipe[2] = { -1, -1 };
    if (o.interactive) {
        if (pipe2(stdin_pipe, O_CLOEXEC) < 0)
            give_up(o.pid_fd, errno);
        o.stdin_fd = stdin_pipe[0];
    }
    if (o.stdin_fd < 0 && (o.stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        give_up(o.pid_fd, errno);
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0)
        give_up(o.pid_fd, errno);
    if (chdir("/") < 0)
        give_up(o.pid_fd, errno);

    int32_t stdio[3] = { o.stdin_fd, out_pipe[1], err_pipe[1] };
    int pid = mr_spawn(o.clone_flags, o.cgroup_fd, o.stage_fd, o.program_fd, o.sync_fd,
                       o.report_fd, stdio, o.keep_to, o.nkeep);
    if (pid < 0)
        give_up(o.pid_fd, -pid);
    int32_t v = pid;
    (void)write_all(o.pid_fd, &v, sizeof v);

    /* From here on the container and the caller talk directly: the caller
     * must see end of file on the report pipe when the stage's execve
     * closes it, so no copy of ours may stay open. */
    int given[] = { o.pid_fd, o.cgroup_fd, o.stage_fd, o.program_fd, o.sync_fd, o.report_fd,
                    o.stdin_fd, out_pipe[1], err_pipe[1] };
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
        if (given[i] >= 0)
            close(given[i]);
    for (int i = 0; i < o.nkeep; i++)
        close(o.keep_to[i]);
    out_stream.fd = out_pipe[0];
    err_stream.fd = err_pipe[0];
    int pty_socket = o.pty_socket_fd;
    if (listen_fd >= 0)
        out_stream.tap = err_stream.tap = tty_stream.tap = attach_send;
    /* what attached clients write goes to the container's stdin: its pty
     * (once the stage sends the master) or the -i pipe */
    struct attach_target target = { .tty_fd = -1, .stdin_fd = stdin_pipe[1] };
    if (target.stdin_fd >= 0)
        fcntl(target.stdin_fd, F_SETFL, O_NONBLOCK);
    int holding = o.wait_attach;
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);

    int exited = 0, status = 0;
    /* exited_at: the exit, or the last output read after it; drain_from: the exit */
    struct timespec finished, exited_at, drain_from;
    for (;;) {
        int timeout = -1;
        /* held until a client comes: also when the container has exited
         * meanwhile (its output waits in the pipes), so a short-lived
         * container's output still reaches `start -a` */
        if (holding && (attach_clients() > 0 || ms_since(&started) >= ATTACH_WAIT_MS)) {
            holding = 0;
            if (exited) { /* the grace for the last output starts now */
                clock_gettime(CLOCK_MONOTONIC, &exited_at);
                drain_from = exited_at;
            }
        }
        if (holding)
            timeout = (int)(ATTACH_WAIT_MS - ms_since(&started));
        else if (exited) {
            if (out_stream.fd < 0 && err_stream.fd < 0 && tty_stream.fd < 0 && pty_socket < 0)
                break;
            long left = EXIT_GRACE_MS - ms_since(&exited_at);
            long drain = EXIT_DRAIN_MS - ms_since(&drain_from);
            if (left <= 0 || drain <= 0)
                break;
            timeout = (int)(left < drain ? left : drain);
        }
        struct pollfd pfd[6 + ATTACH_MAX_CLIENTS + 1] = {
            { .fd = sigfd, .events = POLLIN },
            { .fd = holding ? -1 : out_stream.fd, .events = POLLIN },
            { .fd = holding ? -1 : err_stream.fd, .events = POLLIN },
            { .fd = pty_socket, .events = POLLIN },
            { .fd = holding ? -1 : tty_stream.fd, .events = POLLIN },
            { .fd = listen_fd, .events = POLLIN },
        };
        int nattach = listen_fd >= 0 ? attach_poll_fds(pfd + 6, &target) : 0;
        if (poll(pfd, (nfds_t)(6 + nattach), timeout) < 0) {
            if (errno == EINTR)
                continue;
            break; /* cannot happen with valid fds; do not spin */
        }
        if (pfd[0].revents) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) > 0)
                ;
            /* Signals coalesce: reap everything there is. Orphans (see
             * PR_SET_CHILD_SUBREAPER above) are reaped and forgotten. */
            int st;
            pid_t p;
            while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
                if (p == pid && !exited) {
                    exited = 1;
                    status = st;
                    clock_gettime(CLOCK_REALTIME, &finished);
                    clock_gettime(CLOCK_MONOTONIC, &exited_at);
                    drain_from = exited_at;
                }
            }
        }
        if (pfd[1].revents)
            log_stream_read(&out_stream, &container_log);
        if (pfd[2].revents)
            log_stream_read(&err_stream, &container_log);
        if (exited && !holding && (pfd[1].revents | pfd[2].revents | pfd[4].revents))
            clock_gettime(CLOCK_MONOTONIC, &exited_at); /* output still comes: the silence starts again */
        if (pfd[3].revents) {
            /* One message, the master; end of file if the container failed
             * before its open_pty step. Either way the socket is done. */
            int master = mr_recv_fd(pty_socket);
            if (master >= 0) {
                tty_stream.fd = target.tty_fd = master;
                /* attached input must never block the monitor on a full pty */
                fcntl(master, F_SETFL, O_NONBLOCK);
            }
            close(pty_socket);
            pty_socket = -1;
        }
        if (pfd[4].revents) { /* EIO once the container's last tty fd is closed */
            if (!log_stream_read(&tty_stream, &container_log))
                target.tty_fd = -1;
        }
        if (pfd[5].revents)
            attach_accept(listen_fd);
        if (nattach)
            attach_handle(pfd + 6, nattach, &target);
    }
    /* Whatever is still open is held by an orphan: log its unfinished
     * line and stop reading. */
    log_stream_close(&out_stream, &container_log);
    log_stream_close(&err_stream, &container_log);
    log_stream_close(&tty_stream, &container_log);
    if (container_log.fd >= 0)
        close(container_log.fd);
    if (listen_fd >= 0) {
        close(listen_fd);
        unlink(o.attach_socket);
    }
    if (!exited) {
        attach_finish(255);
        return 1;
    }
    int written = write_exit_file(exit_dir, exit_name, status, &finished);
    /* after the exit file: a client that goes on to read the state sees it */
    attach_finish(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    if (written < 0)
        return 1;
    if (o.exit_argc > 0) {
        /* The command starts with default signals and an empty mask, not
         * the monitor's. */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
        execv(o.exit_argv[0], (char *const *)o.exit_argv);
        return 1;
    }
    return 0;
}
