/**
 * Every kind of child step, in one table: its op code (native/steps.h), its
 * arguments as the stage program encodes them, the line --explain prints,
 * and the words an error uses ("mount proc on /x/proc: ..."). The C twin
 * is stage.c's ops[] table; test/native-abi.test.ts checks the codes.
 *
 * Adding a step kind: a member of ChildStep (steps.ts), an entry here, an
 * MR_OP_ in native/steps.h and step-codes.ts, an entry in stage.c.
 */
import { capabilityMask } from '../spec/capabilities.js'
import { mountFlagNames, MS } from '../spec/mount-options.js'
import { namespaceNames } from './namespaces.js'
import { F_KEEP_LOCKED, F_OPTIONAL, Op } from './step-codes.js'
import type { ChildOp, ChildStep, SlotRef } from './steps.js'

export type Arg = string | bigint | number | Buffer

/** The number of a slot's fd, known only when the program is encoded. */
export type SlotFd = (ref: SlotRef) => number

interface Kind<S> {
  code: number
  encode(step: S, fd: SlotFd): { flags?: number; args: Arg[] }
  /** The line --explain prints: the syscall and its arguments. */
  explain(step: S): string
  /** What an error message says the step was doing. */
  describe(step: S): string
  /** The slots whose fds the step uses: the child must inherit them. */
  slots?(step: S): SlotRef[]
  /** The whole error line for an errno (by name) that says more than describe's words with strerror. */
  failure?(step: S, code: string): string | undefined
}

type Table = { [K in ChildOp]: Kind<Extract<ChildStep, { op: K }>> }

/** A path the stage resolves inside `root` ("" or "/": as given). */
export function inRoot(root: string | undefined, path: string): string {
  return root && root !== '/' ? `${root.replace(/\/$/, '')}${path.startsWith('/') ? '' : '/'}${path}` : path
}

const UNLIMITED = (1n << 64n) - 1n
const rlimit = (v: bigint) => (v === UNLIMITED ? 'unlimited' : String(v))
const capNames = (caps: readonly string[]) => (caps.length ? caps.map((c) => c.replace(/^CAP_/, '').toLowerCase()).join(' ') : 'none')
const slot = (ref: SlotRef) => `<${ref.slot}>`
/** statfs(2)'s f_type of a filesystem a step requires (linux/magic.h). */
const FS_MAGIC = { tmpfs: 0x01021994 } as const

export const CHILD_KINDS: Table = {
  mount: {
    code: Op.MOUNT,
    encode: (s) => ({
      flags: (s.optional ? F_OPTIONAL : 0) | (s.keepLocked ? F_KEEP_LOCKED : 0),
      args: [s.source ?? '', s.root ?? '', s.target, s.fstype ?? '', s.flags, s.data ?? ''],
    }),
    explain: (s) =>
      [
        `mount ${s.source || 'none'} ${inRoot(s.root, s.target)}`,
        ...(s.fstype ? [`-t ${s.fstype}`] : []),
        `-o ${mountFlagNames(s.flags)}${s.keepLocked ? ' (+ the flags the kernel locked)' : ''}`,
        ...(s.data ? [s.data] : []),
      ].join(' '),
    describe: (s) =>
      s.flags & MS.REMOUNT
        ? `remount ${inRoot(s.root, s.target)}`
        : s.volume !== undefined
          // a volume mounted from its options: the kernel's refusal is of the options the user gave the volume
          ? `error while mounting volume '${s.volume}': mount ${s.source || 'none'} on ${inRoot(s.root, s.target)} (${[s.fstype || 'bind', s.data].filter(Boolean).join(', ')})`
          : `mount ${s.source || s.fstype || 'none'} on ${inRoot(s.root, s.target)}`,
  },
  bind_beneath: {
    code: Op.BIND_BENEATH,
    encode: (s) => ({ args: [s.base, s.subpath, s.root ?? '', s.target, s.flags] }),
    explain: (s) => `openat2 ${s.subpath} beneath ${s.base} (RESOLVE_BENEATH), mount it ${inRoot(s.root, s.target)} -o ${mountFlagNames(s.flags | MS.BIND)}`,
    describe: (s) => `mount volume ${s.volume}'s ${s.subpath} on ${inRoot(s.root, s.target)}`,
    // Docker's words (moby's safepath): its resolution failed, not the mount
    failure: (s, code) =>
      code === 'EXDEV'
        ? `path concatenation escapes the base directory, base: ${s.base}, subpath: ${s.subpath}`
        : code === 'ENOENT' || code === 'ENOTDIR'
          ? `cannot access path ${s.base}/${s.subpath}: ${code === 'ENOENT' ? 'No such file or directory' : 'Not a directory'}`
          : undefined,
  },
  mkdir: {
    code: Op.MKDIR,
    encode: (s) => ({ args: [s.root ?? '', s.path, s.mode] }),
    explain: (s) => `mkdir -p -m ${s.mode.toString(8)} ${inRoot(s.root, s.path)}`,
    describe: (s) => `mkdir ${inRoot(s.root, s.path)}`,
  },
  mkfile: {
    code: Op.MKFILE,
    encode: (s) => ({ args: [s.root ?? '', s.path, s.mode] }),
    explain: (s) => `touch ${inRoot(s.root, s.path)}`,
    describe: (s) => `mkfile ${inRoot(s.root, s.path)}`,
  },
  symlink: {
    code: Op.SYMLINK,
    encode: (s) => ({ args: [s.root ?? '', s.path, s.target] }),
    explain: (s) => `ln -s ${s.target} ${inRoot(s.root, s.path)}`,
    describe: (s) => `symlink ${inRoot(s.root, s.path)} -> ${s.target}`,
  },
  chdir: {
    code: Op.CHDIR,
    encode: (s) => ({ args: [s.path] }),
    explain: (s) => `chdir ${s.path}`,
    describe: (s) => `chdir ${s.path}`,
  },
  pivot_root: {
    code: Op.PIVOT_ROOT,
    encode: (s) => ({ args: [s.newRoot, s.putOld] }),
    explain: (s) => `pivot_root ${s.newRoot} ${s.putOld}`,
    describe: (s) => `pivot_root ${s.newRoot} ${s.putOld}`,
  },
  umount: {
    code: Op.UMOUNT,
    encode: (s) => ({ args: [s.path, s.flags] }),
    explain: (s) => `umount2 ${s.path} MNT_DETACH`,
    describe: (s) => `umount ${s.path}`,
  },
  sethostname: {
    code: Op.SETHOSTNAME,
    encode: (s) => ({ args: [s.name] }),
    explain: (s) => `sethostname ${JSON.stringify(s.name)}`,
    describe: (s) => `sethostname ${s.name}`,
  },
  setdomainname: {
    code: Op.SETDOMAINNAME,
    encode: (s) => ({ args: [s.name] }),
    explain: (s) => `setdomainname ${JSON.stringify(s.name)}`,
    describe: (s) => `setdomainname ${s.name}`,
  },
  link_up: {
    code: Op.LINK_UP,
    encode: (s) => ({ args: [s.ifname] }),
    explain: (s) => `ip link set ${s.ifname} up`,
    describe: (s) => `set link ${s.ifname} up`,
  },
  setgroups: {
    code: Op.SETGROUPS,
    encode: (s) => ({ args: s.gids }),
    explain: (s) => `setgroups [${s.gids.join(', ')}]`,
    describe: (s) => `setgroups [${s.gids.join(' ')}]`,
  },
  setresgid: {
    code: Op.SETRESGID,
    encode: (s) => ({ args: [s.gid] }),
    explain: (s) => `setresgid ${s.gid} ${s.gid} ${s.gid}`,
    describe: (s) => `setresgid ${s.gid}`,
  },
  setresuid: {
    code: Op.SETRESUID,
    encode: (s) => ({ args: [s.uid] }),
    explain: (s) => `setresuid ${s.uid} ${s.uid} ${s.uid}`,
    describe: (s) => `setresuid ${s.uid}`,
  },
  keepcaps: {
    code: Op.KEEPCAPS,
    encode: (s) => ({ args: [s.value] }),
    explain: (s) => `prctl PR_SET_KEEPCAPS ${s.value}`,
    describe: () => 'keepcaps',
  },
  cap_bounding: {
    code: Op.CAP_BOUNDING,
    encode: (s) => ({ args: [capabilityMask(s.caps)] }),
    explain: (s) => (s.caps.length ? `prctl PR_CAPBSET_DROP: keep only ${capNames(s.caps)}` : 'prctl PR_CAPBSET_DROP: every capability'),
    describe: () => 'cap_bounding',
  },
  capset: {
    code: Op.CAPSET,
    encode: (s) => ({ args: [capabilityMask(s.effective), capabilityMask(s.permitted), capabilityMask(s.inheritable)] }),
    explain: (s) =>
      s.effective.join() === s.permitted.join()
        ? `capset effective = permitted = ${capNames(s.permitted)}; inheritable = ${capNames(s.inheritable)}`
        : `capset effective = ${capNames(s.effective)}; permitted = ${capNames(s.permitted)}; inheritable = ${capNames(s.inheritable)}`,
    describe: () => 'capset',
  },
  cap_ambient: {
    code: Op.CAP_AMBIENT,
    encode: (s) => ({ args: [capabilityMask(s.caps)] }),
    explain: (s) => `ambient set = ${capNames(s.caps)}`,
    describe: () => 'cap_ambient',
  },
  no_new_privs: {
    code: Op.NO_NEW_PRIVS,
    encode: () => ({ args: [] }),
    explain: () => 'prctl PR_SET_NO_NEW_PRIVS 1',
    describe: () => 'no_new_privs',
  },
  seccomp: {
    code: Op.SECCOMP,
    encode: (s) => ({ args: [s.filter] }),
    explain: (s) => `seccomp SECCOMP_SET_MODE_FILTER (${s.filter.length / 8} BPF instructions; ${s.denied.length} syscalls refused or restricted by their arguments: ${s.denied.slice(0, 8).join(' ')}${s.denied.length > 8 ? ' ...' : ''})`,
    describe: () => 'seccomp',
  },
  setsid: {
    code: Op.SETSID,
    encode: () => ({ args: [] }),
    explain: () => 'setsid',
    describe: () => 'setsid',
  },
  open_pty: {
    code: Op.OPEN_PTY,
    encode: (s, fd) => ({ args: [fd(s.socket), s.rows, s.cols] }),
    slots: (s) => [s.socket],
    explain: (s) => `open /dev/ptmx (window ${s.cols}x${s.rows}), send the master over ${slot(s.socket)}`,
    describe: () => 'open_pty',
  },
  close_fds: {
    code: Op.CLOSE_FDS,
    encode: (s) => ({ args: [s.from] }),
    explain: (s) => `close_range ${s.from} ~0 CLOSE_RANGE_CLOEXEC`,
    describe: () => 'close_fds',
  },
  fork_init: {
    code: Op.FORK_INIT,
    encode: () => ({ args: [] }),
    explain: () => 'fork: the parent stays as init, the child goes on',
    describe: () => 'fork_init',
  },
  fork_relay: {
    code: Op.FORK_RELAY,
    encode: () => ({ args: [] }),
    explain: () => 'fork: the child goes on in the PID namespace joined, the parent relays signals and exits with its status',
    describe: () => 'fork_relay',
  },
  exec: {
    code: Op.EXEC,
    encode: (s) => ({ args: [s.path, s.args.length, ...s.args, ...s.env] }),
    explain: (s) => `execve ${JSON.stringify(s.args)} env ${JSON.stringify(s.env)}`,
    describe: (s) => `exec ${JSON.stringify(s.args[0] ?? '')}`,
  },
  setrlimit: {
    code: Op.SETRLIMIT,
    encode: (s) => ({ args: [s.resource, s.soft, s.hard] }),
    explain: (s) => `setrlimit ${s.name} ${rlimit(s.soft)}/${rlimit(s.hard)}`,
    describe: (s) => `setrlimit ${s.name} ${rlimit(s.soft)}/${rlimit(s.hard)}`,
  },
  write_file: {
    code: Op.WRITE_FILE,
    encode: (s) => ({ args: [s.root ?? '', s.path, s.content] }),
    explain: (s) => `write ${JSON.stringify(s.content)} to ${inRoot(s.root, s.path)}`,
    describe: (s) => `write ${inRoot(s.root, s.path)}`,
  },
  unshare: {
    code: Op.UNSHARE,
    encode: (s) => ({ args: [s.flags] }),
    explain: (s) => `unshare 0x${s.flags.toString(16)}`,
    describe: () => 'unshare',
  },
  move_mount: {
    code: Op.MOVE_MOUNT,
    encode: (s, fd) => ({ args: [fd(s.fd), s.root ?? '', s.target] }),
    slots: (s) => [s.fd],
    explain: (s) => `move_mount ${slot(s.fd)} ${inRoot(s.root, s.target)}`,
    describe: (s) => `move_mount ${s.fd.slot} to ${inRoot(s.root, s.target)}`,
  },
  bind_from: {
    code: Op.BIND_FROM,
    slots: (s) => [s.pidfd],
    encode: (s, fd) => ({ args: [fd(s.pidfd), s.source, s.fstype ? FS_MAGIC[s.fstype] : 0, s.root ?? '', s.target] }),
    explain: (s) => `setns ${slot(s.pidfd)} CLONE_NEWNS; open_tree ${s.source} OPEN_TREE_CLONE (no symlink followed${s.fstype ? `, refused unless a ${s.fstype}` : ''}); setns back; move_mount the clone to ${inRoot(s.root, s.target)}`,
    describe: (s) => `bind ${s.source} of container ${s.container} on ${inRoot(s.root, s.target)}`,
  },
  pdeathsig: {
    code: Op.PDEATHSIG,
    encode: (s) => ({ args: [s.signal] }),
    explain: (s) => `prctl PR_SET_PDEATHSIG ${s.signal}`,
    describe: () => 'pdeathsig',
  },
  setns: {
    code: Op.SETNS,
    encode: (s, fd) => ({ args: [fd(s.pidfd), s.nstype] }),
    slots: (s) => [s.pidfd],
    explain: (s) => `setns ${slot(s.pidfd)} ${namespaceNames(s.nstype)}`,
    describe: (s) => `setns ${s.pidfd.slot}`,
  },
  find_exec: {
    code: Op.FIND_EXEC,
    encode: (s) => ({ args: [s.path, s.file] }),
    explain: (s) => `look up ${JSON.stringify(s.file)}${s.file.includes('/') ? '' : ' in PATH'}: an executable regular file`,
    describe: (s) => `exec ${JSON.stringify(s.file)}`,
  },
  umask: {
    code: Op.UMASK,
    encode: (s) => ({ args: [s.mask] }),
    explain: (s) => `umask ${s.mask.toString(8).padStart(4, '0')}`,
    describe: () => 'umask',
  },
  personality: {
    code: Op.PERSONALITY,
    encode: (s) => ({ args: [s.persona] }),
    explain: (s) => `personality ${s.name}`,
    describe: (s) => `personality ${s.name}`,
  },
  ioprio: {
    code: Op.IOPRIO,
    encode: (s) => ({ args: [s.value] }),
    explain: (s) => `ioprio_set IOPRIO_WHO_PROCESS 0 ${s.name}`,
    describe: (s) => `ioprio_set ${s.name}`,
  },
  sched: {
    code: Op.SCHED,
    encode: (s) => ({ args: [s.policy, s.flags, BigInt.asUintN(64, BigInt(s.nice)), s.priority, s.runtime, s.deadline, s.period] }),
    explain: (s) => `sched_setattr ${s.name}`,
    describe: (s) => `sched_setattr ${s.name}`,
  },
  wait_start: {
    code: Op.WAIT_START,
    slots: (s) => [s.fifo],
    encode: (s, fd) => ({ args: [fd(s.fifo)] }),
    explain: (s) => `report ready, then open /proc/self/fd/${slot(s.fifo)} O_WRONLY: blocks until start opens the FIFO`,
    describe: () => 'wait for start',
  },
  sync_wait: {
    code: Op.SYNC_WAIT,
    slots: (s) => [s.pipe],
    encode: (s, fd) => ({ args: [fd(s.pipe)] }),
    explain: (s) => `read one byte from ${slot(s.pipe)}, the sync pipe: wait until the runtime has attached the network (end of file: it gave up, exit)`,
    describe: () => 'wait for the network',
  },
}

function kindOf<S extends ChildStep>(step: S): Kind<S> {
  return CHILD_KINDS[step.op] as unknown as Kind<S>
}

/** The words an error uses for a step ("mount proc on /x/proc"). */
export function describeStep(step: ChildStep): string {
  return kindOf(step).describe(step)
}

/** The error line of a step's failure with errno `code`, where its kind has words of its own for it. */
export function describeFailure(step: ChildStep, code: string): string | undefined {
  return kindOf(step).failure?.(step, code)
}

/** The line --explain prints for a step. */
export function explainStep(step: ChildStep): string {
  return kindOf(step).explain(step)
}

/** The slot names the steps refer to: the fds the child must inherit. */
export function childSlots(steps: readonly ChildStep[]): string[] {
  return [...new Set(steps.flatMap((step) => kindOf(step).slots?.(step) ?? []).map((ref) => ref.slot))]
}

export function encodeStep(step: ChildStep, fd: SlotFd): { code: number; flags: number; args: Arg[] } {
  const kind = kindOf(step)
  const { flags = 0, args } = kind.encode(step, fd)
  return { code: kind.code, flags, args }
}
