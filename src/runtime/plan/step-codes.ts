/**
 * The step program's numbers, shared with the native stage runner.
 *
 * This is the TypeScript twin of native/steps.h: every value must match it.
 * test/native-abi.test.ts parses the header and compares.
 */

export const PROGRAM_MAGIC = 'MRS1'
/** Step index that marks a failure in the clone trampoline, before the program ran. */
export const STEP_TRAMPOLINE = 0xffffffff

/** A step failing with ENOENT on its target is skipped (masked paths that a kernel lacks). */
export const F_OPTIONAL = 0x1
/** OR the target's current mount flags into a remount: a user namespace may not clear them. */
export const F_KEEP_LOCKED = 0x2

export const Op = {
  MOUNT: 1,
  MKDIR: 2,
  MKFILE: 3,
  SYMLINK: 4,
  CHDIR: 5,
  PIVOT_ROOT: 6,
  UMOUNT: 7,
  SETHOSTNAME: 8,
  SETDOMAINNAME: 9,
  LINK_UP: 10,
  SETGROUPS: 11,
  SETRESGID: 12,
  SETRESUID: 13,
  KEEPCAPS: 14,
  CAP_BOUNDING: 15,
  CAPSET: 16,
  CAP_AMBIENT: 17,
  NO_NEW_PRIVS: 18,
  SECCOMP: 19,
  SETSID: 20,
  OPEN_PTY: 21,
  CLOSE_FDS: 22,
  FORK_INIT: 23,
  EXEC: 24,
  SETRLIMIT: 25,
  WRITE_FILE: 26,
  UNSHARE: 27,
  MOVE_MOUNT: 28,
  PDEATHSIG: 29,
  SETNS: 30,
  WAIT_START: 31,
  FIND_EXEC: 32,
  UMASK: 33,
  PERSONALITY: 34,
  IOPRIO: 35,
  SCHED: 36,
  SYNC_WAIT: 37,
  FORK_RELAY: 38,
  BIND_BENEATH: 39,
  BIND_FROM: 40,
} as const

