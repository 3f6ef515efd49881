/*
 * steps.h: the step program that TypeScript hands to the native stage runner.
 *
 * The TypeScript twin of this file is src/runtime/plan/step-codes.ts. Every number
 * here must match it; test/native-abi.test.ts compares the two files.
 *
 * Why a program and not a function call per syscall: after clone() the child
 * is a copy of a multithreaded Node process in which no JavaScript may run
 * (only the calling thread exists, libuv's pool and V8's helpers are gone).
 * So TypeScript decides every step before clone() and the child only replays
 * them, in order, stopping at the first failure and reporting it as data.
 *
 * Encoding (all integers little endian):
 *
 *   program := "MRS1" u32:step_count step*
 *   step    := u16:op u16:flags u32:argc arg*
 *   arg     := u32:len byte[len] 0x00        (len excludes the trailing NUL)
 *
 * Numeric arguments are args of exactly 8 bytes holding a u64. String
 * arguments are NUL-terminated in the buffer so C can use them in place.
 *
 * Failure report, written by the child on the report pipe (fd 4 in the stage):
 *
 *   report  := u32:step_index i32:errno      (8 bytes)
 *
 * step_index is 0-based into the program; MR_STEP_TRAMPOLINE marks a failure
 * in the clone trampoline before the stage program started. errno 0 is not
 * a failure: MR_OP_WAIT_START's "ready" (every step before it has run, the
 * stage now waits to be started); the runtime may stop reading after it. A program that
 * cannot be read or is malformed (bad magic or counts, a numeric argument
 * not 8 bytes, a NUL inside a string argument, a wrong argument count, an
 * unknown op or flag) runs no step and is reported as {0, EINVAL}
 * ({0, E2BIG} over 4 MiB). A step with MR_F_OPTIONAL that fails with ENOENT
 * is skipped, whatever its op. A program that ends without an exec makes
 * the stage exit 0. End of file on
 * the report pipe without a report means the final execve() succeeded: the
 * pipe is close-on-exec.
 */
#ifndef MINI_RUN_STEPS_H
#define MINI_RUN_STEPS_H

#define MR_PROGRAM_MAGIC "MRS1"
#define MR_STEP_TRAMPOLINE 0xffffffffu

/* Fixed descriptors in the stage program (set up by the clone trampoline). */
#define MR_FD_PROGRAM 3
#define MR_FD_REPORT 4

/* Step flags */
#define MR_F_OPTIONAL 0x1      /* ENOENT on the target: skip the step          */
#define MR_F_KEEP_LOCKED 0x2   /* OR the target's current statvfs() mount flags
                                  (nosuid, nodev, noexec and the atime flags
                                  noatime, nodiratime, relatime) into a
                                  remount: a user namespace may not clear them.
                                  Not rdonly: a read-write remount of a locked
                                  read-only mount fails with EPERM instead of
                                  silently staying read-only */

enum mr_op {
    /* source, root, target, fstype, flags:u64, data
       root "" = target is used as given; otherwise target is resolved inside
       root with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) and the mount
       goes onto /proc/self/fd/N. Empty source/fstype/data are passed as NULL. */
    MR_OP_MOUNT = 1,
    /* root, path, mode:u64 -- mkdir -p, each component resolved inside root */
    MR_OP_MKDIR = 2,
    /* root, path, mode:u64 -- create an empty regular file if missing
       (a bind-mount target); parents must exist */
    MR_OP_MKFILE = 3,
    /* root, linkpath, target -- symlink(target, linkpath) inside root */
    MR_OP_SYMLINK = 4,
    /* path */
    MR_OP_CHDIR = 5,
    /* new_root, put_old -- pivot_root(2) */
    MR_OP_PIVOT_ROOT = 6,
    /* path, flags:u64 -- umount2(2) */
    MR_OP_UMOUNT = 7,
    /* name */
    MR_OP_SETHOSTNAME = 8,
    /* name */
    MR_OP_SETDOMAINNAME = 9,
    /* ifname -- set IFF_UP */
    MR_OP_LINK_UP = 10,
    /* gid:u64 ... (argc may be 0: no supplementary groups) */
    MR_OP_SETGROUPS = 11,
    /* gid:u64 -- setresgid(gid, gid, gid) */
    MR_OP_SETRESGID = 12,
    /* uid:u64 -- setresuid(uid, uid, uid) */
    MR_OP_SETRESUID = 13,
    /* value:u64 -- prctl(PR_SET_KEEPCAPS) */
    MR_OP_KEEPCAPS = 14,
    /* mask:u64 -- PR_CAPBSET_DROP every capability not in mask */
    MR_OP_CAP_BOUNDING = 15,
    /* effective:u64, permitted:u64, inheritable:u64 -- capset(2) */
    MR_OP_CAPSET = 16,
    /* mask:u64 -- clear the ambient set, then raise each cap in mask */
    MR_OP_CAP_AMBIENT = 17,
    /* (none) -- prctl(PR_SET_NO_NEW_PRIVS, 1) */
    MR_OP_NO_NEW_PRIVS = 18,
    /* filter -- bytes of a struct sock_filter[]; seccomp(SECCOMP_SET_MODE_FILTER) */
    MR_OP_SECCOMP = 19,
    /* (none) -- setsid(2) */
    MR_OP_SETSID = 20,
    /* socket_fd:u64, rows:u64, cols:u64 -- open /dev/ptmx, unlock, set the
       window size, make the peer the controlling terminal and fds 0-2, send
       the master to the parent with SCM_RIGHTS over socket_fd, close both */
    MR_OP_OPEN_PTY = 21,
    /* from_fd:u64 -- close_range(from, ~0, CLOSE_RANGE_CLOEXEC): every fd from
       from_fd on is closed by the final execve (the report pipe included) */
    MR_OP_CLOSE_FDS = 22,
    /* (none) -- fork: the parent becomes a minimal init (forwards signals,
       reaps every child, exits with the first child's status); the child
       goes on with the next step */
    MR_OP_FORK_INIT = 23,
    /* path_env, argc:u64, argv[0..argc), env... -- execve; argv[0] without
       '/' is searched in path_env (a PATH value) like execvpe */
    MR_OP_EXEC = 24,
    /* resource:u64, soft:u64, hard:u64 -- setrlimit(2) */
    MR_OP_SETRLIMIT = 25,
    /* root, path, content -- open O_WRONLY|O_TRUNC inside root and write */
    MR_OP_WRITE_FILE = 26,
    /* flags:u64 -- unshare(2) */
    MR_OP_UNSHARE = 27,
    /* fd:u64, root, target -- move_mount(fd, "", target resolved in root,
       MOVE_MOUNT_F_EMPTY_PATH): attach a detached mount (open_tree) */
    MR_OP_MOVE_MOUNT = 28,
    /* signal:u64 -- prctl(PR_SET_PDEATHSIG) */
    MR_OP_PDEATHSIG = 29,
    /* pidfd:u64, nstype:u64 -- setns(pidfd, nstype): join the namespaces
       in nstype (an OR of CLONE_NEW* flags) of the process the pidfd names
       (exec: the container's, a kept fd). Joining a PID or time namespace
       only moves the children: a FORK_INIT or FORK_RELAY must follow. */
    MR_OP_SETNS = 30,
    /* fifo_fd:u64 -- report ready ({this step's index, 0} on the report
       pipe), then open the FIFO that fifo_fd (an O_PATH fd) names for
       writing, through /proc/self/fd/N: that blocks until the runtime's
       `start` opens it for reading. Write one byte, close both. The OCI
       create/start split (runc's exec.fifo). */
    MR_OP_WAIT_START = 31,
    /* path_env, file -- the search of MR_OP_EXEC without the execve: 0 when
       file (searched in path_env if it has no '/') names an executable
       regular file, else ENOENT or EACCES. Lets a create fail before it
       waits, when the command it would start does not exist. */
    MR_OP_FIND_EXEC = 32,
    /* mask:u64 -- umask(2) */
    MR_OP_UMASK = 33,
    /* persona:u64 -- personality(2) (linux.personality: PER_LINUX32) */
    MR_OP_PERSONALITY = 34,
    /* ioprio:u64 -- ioprio_set(IOPRIO_WHO_PROCESS, 0, ioprio): the class in
       bits 13-15, the level in 0-2 (ioprio_set(2)) */
    MR_OP_IOPRIO = 35,
    /* policy:u64, flags:u64, nice:u64 (two's complement), priority:u64,
       runtime:u64, deadline:u64, period:u64 -- sched_setattr(0, ...)
       (sched_setattr(2)) */
    MR_OP_SCHED = 36,
    /* pipe_fd:u64 -- read one byte from pipe_fd, the runtime's go-ahead, and
       close it. End of file: the runtime gave up on this start (it kills or
       abandons the child), exit 0 quietly, as the clone trampoline does.
       The plan puts it where the runtime's work after the clone (the
       network) starts to matter, so that the steps before it run while the
       runtime attaches the network; the trampoline then waits for nothing
       (mr_spawn's sync_fd -1). */
    MR_OP_SYNC_WAIT = 37,
    /* (none) -- fork after a setns into a PID namespace (which moves only
       the children): the child, in that namespace, goes on with the next
       step; the parent stays as a relay that forwards signals and exits
       with the child's status. Unlike FORK_INIT it comes before the rest
       of the steps (the child mounts /proc, whose PID namespace is the
       mounter's active one: proc_init_fs_context) and leaves the child's
       process group alone (a SETSID follows; setsid(2) fails in a group
       leader). */
    MR_OP_FORK_RELAY = 38,
    /* base, subpath, root, target, flags:u64 -- bind base/subpath on
       target (resolved in root as MR_OP_MOUNT's). subpath is resolved
       under base with openat2(RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS): a
       ".." or a symlink (absolute, or climbing out) that would leave base
       fails with EXDEV, and the bind is of exactly what was resolved
       (/proc/self/fd/N). A volume's --mount volume-subpath: the volume's
       containers write its content, symlinks included. */
    MR_OP_BIND_BENEATH = 39,
    /* pidfd:u64, source, fs_magic:u64, root, target -- bind a mount of
       another process's mount namespace (--ipc container:X's /dev/shm):
       setns(pidfd, CLONE_NEWNS), source resolved there without following
       a symlink, refused with EMEDIUMTYPE unless on a filesystem of
       fs_magic (statfs(2) f_type; 0: any), open_tree(OPEN_TREE_CLONE) of
       it, setns back into the mount namespace the step began in, then
       move_mount of the clone to target resolved in root, as
       MR_OP_MOVE_MOUNT. */
    MR_OP_BIND_FROM = 40,
};

#endif
