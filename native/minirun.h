/*
 * minirun.h: the functions that Node calls through ffi-rs (libminirun.so).
 *
 * The TypeScript side is src/native/lib.ts. Every function returns a
 * non-negative value on success and -errno on failure, so no caller has to
 * read errno across the FFI boundary. None of them decides anything: they are
 * the few syscalls Node does not expose (clone3, memfd, pipe2, SCM_RIGHTS,
 * waitpid, open_tree, pidfds, openat2) plus the clone trampoline. mr_spawn is
 * also linked into mini-run-monitor (monitor.c), which starts detached
 * containers.
 */
#ifndef MINI_RUN_H
#define MINI_RUN_H

#include <stdint.h>

/* A sealed, close-on-exec memfd holding a copy of the file at path: the stage
 * program is executed from it, so /proc/self/exe in the container points at
 * an immutable anonymous file and never at a host binary (CVE-2019-5736). */
int mr_sealed_copy(const char *path);

/* A sealed, close-on-exec memfd holding len bytes of data (the step program). */
int mr_memfd_data(const uint8_t *data, int32_t len);

/* pipe2(fds, flags); fds[0] is the read end. */
int mr_pipe(int32_t *fds, int32_t flags);

/* socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC). */
int mr_socketpair(int32_t *fds);

/*
 * Start a container process: clone3() with clone_flags | exit signal SIGCHLD
 * (and CLONE_INTO_CGROUP when cgroup_fd >= 0). Returns the child's pid.
 *
 * In the child (the clone trampoline; only async-signal-safe calls):
 *   0. keep every signal blocked (no Node handler may run in the child);
 *      the stage resets dispositions to SIG_DFL and unblocks them first
 *      thing, so the container starts with default signals, not Node's
 *      ignored SIGPIPE;
 *   1. move stdio[0..2] to fds 0-2, program_fd to 3 and report_fd to 4, and
 *      each fd in keep[0..nkeep) to its own number, all without FD_CLOEXEC
 *      (all five sources must be open fds; a keep fd below 5 is EINVAL);
 *      every other fd is closed (close_range, Linux 5.9): the child holds no
 *      copy of the sync pipe's write end, and nothing of Node leaks;
 *   2. block until the parent writes one byte to sync_fd (it writes the id
 *      maps first: an execve in a user namespace without a mapping for uid 0
 *      would drop every capability); exit quietly on EOF. A sync_fd of -1:
 *      no wait here, the stage program waits (steps.h MR_OP_SYNC_WAIT, its
 *      pipe a keep fd);
 *   3. execveat(stage_fd, "", {"mini-run-stage", NULL}, {NULL}, AT_EMPTY_PATH).
 * A failure in 1-3 writes the report {MR_STEP_TRAMPOLINE, errno} to fd 4 and
 * exits with 125.
 *
 * On x86-64 the child shares the caller's memory (CLONE_VM) on a stack of
 * its own until it execs (spawn.c says why). A child holds its stack while it
 * waits for its sync byte: with 16 children waiting at once, the next call
 * fails with EAGAIN. At most 64 keep fds (EINVAL).
 */
int mr_spawn(int64_t clone_flags, int32_t cgroup_fd, int32_t stage_fd,
             int32_t program_fd, int32_t sync_fd, int32_t report_fd,
             const int32_t *stdio, const int32_t *keep, int32_t nkeep);

/* Start the program at path (spawn-program.c) in a session of its own,
 * with argc arguments (argv[0] first), each ending in NUL, in args; the
 * caller's fds[0..nfds) as its 3, 4, 5...; /dev/null as 0, 1 and 2; every
 * signal at its default and none blocked; the caller's environment. Returns
 * the pid (a child of the caller, which reaps it), or -errno: what
 * posix_spawn(3) reports, the program's exec failure among them (ENOENT,
 * EACCES). At most 64 fds (EINVAL). */
int mr_spawn_program(const char *path, const uint8_t *args, int32_t args_len, int32_t argc,
                     const int32_t *fds, int32_t nfds);

/* Load a BPF_PROG_TYPE_CGROUP_DEVICE program (len bytes of struct
 * bpf_insn) and attach it to the cgroup v2 directory cgroup_fd
 * (BPF_F_ALLOW_MULTI). Returns 0. */
int mr_bpf_device_filter(const uint8_t *insns, int32_t len, int32_t cgroup_fd);

/* A SOCK_STREAM unix socket connected to path (close-on-exec): the OCI
 * --console-socket, on which the container's pty master is sent. */
int mr_unix_connect(const char *path);

/* Blocking read of one failure report (8 bytes) from the report pipe into
 * out[0] = step index, out[1] = errno. Returns 8, or 0 on end of file (the
 * container's execve succeeded), or -errno. With timeout_ms >= 0 it waits
 * that long at most for the pipe to be readable (-ETIMEDOUT), and may run on
 * the JS thread; with -1 it waits as long as it takes: call it off the JS
 * thread then. */
int mr_read_report(int32_t fd, int32_t *out, int32_t timeout_ms);

/* waitpid(pid, &status, 0), retrying on EINTR; *status gets the raw status.
 * Returns pid or -errno. Call it off the JS thread. */
int mr_wait(int32_t pid, int32_t *status);

/* waitpid(pid, &status, WNOHANG), retrying on EINTR: returns pid (and
 * *status gets the raw status), 0 while it runs, or -errno. */
int mr_wait_nohang(int32_t pid, int32_t *status);

/* The exit of child pid without reaping it (waitid WNOWAIT): a zombie keeps
 * its pid from reuse until its own waiter reaps it. Looks every ms for up to
 * timeout_ms: 1 and *status (waitpid's encoding) once it has exited, 0 if
 * it has not by then, or -errno (ECHILD: reaped already). */
int mr_wait_peek(int32_t pid, int32_t *status, int32_t timeout_ms);

/* Receive one fd sent with SCM_RIGHTS on sock. Returns it (close-on-exec) or
 * -errno; -EPIPE on end of file. Call it off the JS thread. */
int mr_recv_fd(int32_t sock);

/* ioctl(fd, TIOCSWINSZ): the kernel sends SIGWINCH to the foreground group. */
int mr_set_winsize(int32_t fd, int32_t rows, int32_t cols);

/* isatty(3) without its errno: 1 for a terminal, 0 for anything else
 * (ENOTTY), -errno when fd is not open. Unlike isatty(3), a terminal that
 * has already hung up is one too (1): its TCGETS fails with EIO
 * (hung_up_tty_ioctl in drivers/tty/tty_io.c), and the caller watching for
 * a hangup must not take it for a file and miss the hangup. Node's
 * tty.isatty would load node:tty and with it net and stream, 3 ms of
 * compilation on each start of the CLI. */
int mr_isatty(int32_t fd);

/* Clear OPOST on a terminal: with libuv's raw mode the caller's terminal
 * would still turn the container's "\r\n" into "\r\r\n"; cfmakeraw(3),
 * which Docker uses, clears it too. */
int mr_tty_clear_opost(int32_t fd);

/* O_NONBLOCK on fd's open file description: the -t relay's pty master, which
 * libuv leaves blocking (it cannot reopen a master), so that a write of
 * input and the drain at its end never block the runtime. Returns 0. */
int mr_set_nonblock(int32_t fd);

/* A user namespace fd carrying the given uid_map and gid_map contents
 * ("inside outside count" lines): made by a short-lived child, as
 * mount_setattr(MOUNT_ATTR_IDMAP) needs a namespace and not a process. */
int mr_userns_fd(const char *uid_map, const char *gid_map);

/* open_tree(path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC [| AT_RECURSIVE]) then
 * mount_setattr(MOUNT_ATTR_IDMAP, userns_fd): a detached idmapped mount. */
int mr_idmapped_tree(const char *path, int32_t userns_fd, int32_t recursive);

/* mknod(path, mode, makedev(major, minor)): overlay whiteouts (char 0:0)
 * and device nodes in image layers. Returns 0. */
int mr_mknod(const char *path, int32_t mode, int32_t major, int32_t minor);

/* lsetxattr(path, name, value, len, 0): the symlink itself, not its target.
 * Returns 0. */
int mr_lsetxattr(const char *path, const char *name, const uint8_t *value, int32_t len);

/* lgetxattr(path, name, buf, len): returns the value's length (-ENODATA when
 * the attribute is absent, -ERANGE when buf is too small). */
int mr_lgetxattr(const char *path, const char *name, uint8_t *buf, int32_t len);

/* llistxattr(path, buf, len): the attribute names, each NUL-terminated;
 * returns their total length (-ERANGE when buf is too small). */
int mr_llistxattr(const char *path, uint8_t *buf, int32_t len);

/* flock(fd, operation), retrying on EINTR: LOCK_EX (2) waits for the lock,
 * LOCK_UN (8) releases it, | LOCK_NB (4) fails with -EWOULDBLOCK instead of
 * waiting. The lock belongs to the open file description, so it is released
 * when the last fd of it is closed, also when its process is killed. */
int mr_flock(int32_t fd, int32_t operation);

/* syncfs(fd): write back every dirty page and inode of the file system that
 * fd is on, then wait for it (Linux 5.8 reports writeback errors). One call
 * per unpacked layer instead of an fsync(2) per file. Returns 0. */
int mr_syncfs(int32_t fd);

/* rm -r path: unlink every entry and rmdir every directory, depth first,
 * through openat(2) with O_NOFOLLOW on each directory (a symlink is removed,
 * never followed). A path already gone is 0. Stops at the first failure and
 * returns -errno, the tree partly removed: the caller finishes the job. For
 * a container's writable layer, off the JS thread while the runtime gives
 * back the rest (run-foreground.ts). */
int mr_remove_tree(const char *path);

/* Wait until one of fds[0..n) reports POLLHUP or POLLERR (poll(2) with no
 * events asked: a terminal that hung up, a pipe whose reader is gone) and
 * return its index, or until wake_fd is readable and return n. Retries on
 * EINTR. Call it off the JS thread. */
int mr_wait_hangup(const int32_t *fds, int32_t n, int32_t wake_fd);

/* pidfd_open(pid, 0) (Linux 5.3): an fd that names this process and no
 * other, even once its pid is reused. Close-on-exec. */
int mr_pidfd_open(int32_t pid);

/* pidfd_send_signal(pidfd, sig, NULL, 0) (Linux 5.1): -ESRCH once the process
 * has exited, whatever now holds its pid. Signal 0 only checks. Returns 0. */
int mr_pidfd_send_signal(int32_t pidfd, int32_t sig);

/* openat2(rootfd, path, O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) (Linux 5.6): path resolved as if rootfd were "/"
 * (a container's root), opening nothing. -EAGAIN: a rename raced a ".."
 * (openat2(2)); the caller may retry. */
int mr_open_in_root(int32_t rootfd, const char *path);

/* Read the regular file that the O_PATH fd path_fd names into buf (at most
 * len bytes), through a second open of /proc/self/fd/<path_fd> checked to be
 * the same inode. Returns the length; -EINVAL if it is not a regular file,
 * -EFBIG if it holds more than len bytes. */
int mr_read_regular(int32_t path_fd, uint8_t *buf, int32_t len);

/* mount(source, target, MS_BIND) and umount2(target, flags), in the
 * caller's mount namespace: a container's network namespace is pinned by
 * binding /proc/<pid>/ns/net onto a file (src/network/netns-pin.ts), so it
 * outlives the container until its network is torn down. */
int mr_bind_mount(const char *source, const char *target);
int mr_umount(const char *target, int32_t flags);

/* mount -t tmpfs -o nosuid,nodev[,noexec unless exec],<data> tmpfs target,
 * in the caller's mount namespace: a build secret's file lives on one for
 * its RUN, so its bytes are in memory only (src/build/run-command-step.ts);
 * a bind of the file keeps the mount's noexec. */
int mr_mount_tmpfs(const char *target, int32_t exec, const char *data);

/* unshare(flags) for the calling thread. CLONE_NEWNET only: it is allowed in
 * a multithreaded process and moves only the calling thread, so processes
 * that thread forks later are born in the new namespace (the test suite's
 * global setup, test/helpers/global-setup.ts). */
int mr_unshare(int32_t flags);

/* A NETLINK_ROUTE socket (close-on-exec) in the network namespace netns_fd
 * names (-1: the caller's). Returns the fd. */
int mr_netlink_open(int32_t netns_fd);

/* Send one rtnetlink request (built by the caller, NLM_F_ACK set) and read
 * the answer: the kernel's error as -errno, else 0, or the index of the
 * link an RTM_NEWLINK answer names (RTM_GETLINK). */
int mr_netlink_request(int32_t fd, const uint8_t *msg, int32_t len);

/* mr_netlink_request for an RTM_GETLINK: the answer's payload (ifinfomsg and
 * attributes) copied to out; returns its length. */
int mr_netlink_link(int32_t fd, const uint8_t *msg, int32_t len, uint8_t *out, int32_t out_len);

/* if_nametoindex(3) in the caller's network namespace. */
int mr_if_index(const char *name);

/* _exit(code): the process ends here, without Node's teardown (freeing the
 * environment, V8's heap and isolate, the platform's threads: about 1 ms
 * that a foreground `run` or a listing has no use for once its result is
 * written; the launcher, src/cli/launcher.cts, says when that is). No atexit
 * handler runs and no stdio buffer is flushed: Node keeps none of its own in
 * C. Nor does the caller wait for the kernel to unmap Node's 40 MB (its
 * binary's pages, V8's heap), which it does before a parent learns of the
 * exit: 3-4 ms on a 2-core VM, as long as a container's whole run. With
 * keep_memory, a helper process sharing the memory (CLONE_VM) holds it
 * until this one is gone and then ends, unmapping it off the caller's path
 * (libminirun.c says how); whoever adopts it must reap it, which the caller
 * decides (src/native/process-calls.ts). If the helper cannot be made, a
 * plain _exit. Never returns. */
int mr_exit(int32_t code, int32_t keep_memory);

/* Remove this tree (as mr_remove_tree) when the process exits: at mr_exit
 * by its helper, beside the exit and off the caller's path, or before the
 * exit when there is no helper; at Node's own exit, exit(3), before it
 * (atexit). For a tree the
 * caller renamed out of sight first (a --rm container's writable layer, put
 * in the store's tmp/ under this process's name: whatever is left of it, a
 * tree too deep for the helper or a helper killed, is collected there as any
 * dead process's entry, src/image/store-tmp.ts). At most 8; -ENOSPC after. */
int mr_remove_at_exit(const char *path);

#endif
