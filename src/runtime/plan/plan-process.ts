/**
 * The process part of a start, shared by a container's first process and
 * by exec: session and terminal, working directory, limits, identity,
 * capabilities, seccomp, descriptors, execve. Pure.
 */
import { pathOf } from '../spec/search-path.js'
import type { Spec } from '../spec/spec.js'
import { compileSeccomp } from '../spec/seccomp-bpf.js'
import { RLIMIT_NUMBERS, rlimitValue } from '../spec/ulimits.js'
import type { ChildStep, SlotRef } from './steps.js'

/** Distributive Omit: each member of the union loses its own `section`. */
type WithoutSection<T> = T extends unknown ? Omit<T, 'section'> : never
export type StepBody = WithoutSection<ChildStep>

/**
 * An adder of steps to one section of a plan. The builders pass object
 * literals of their own, so each takes its section in place: a copy of every
 * step ({ ...step, section }) was 28 kB of a run's young generation.
 */
export function addTo<S extends { section: string }>(steps: S[], section: S['section']): (step: WithoutSection<S>) => void {
  return (step) => {
    const placed = step as unknown as S
    placed.section = section
    steps.push(placed)
  }
}

export interface ProcessInput {
  /** -t: the socket the pty master goes back on. */
  ptySocket?: SlotRef
  /** Fork before execve, the parent staying as init: --init, and exec (why: its reason). */
  init?: { why: string }
  /** False in a user namespace made by an unprivileged user: setgroups(2) is denied there. */
  setgroupsAllowed: boolean
  /** Make the working directory if the image lacks it (not in exec: Docker does not). */
  createCwd?: boolean
  /** OCI create: wait on this FIFO (an O_PATH fd) until `start`, every step done but the execve. */
  startGate?: { fifo: SlotRef }
}

export function processSteps(spec: Spec, input: ProcessInput): ChildStep[] {
  const steps: ChildStep[] = []
  const at = (section: ChildStep['section']) => addTo(steps, section)
  sessionSteps(spec, input, at('session'))
  privilegeSteps(spec, input, at('privileges'))
  commandSteps(spec, input, at('command'))
  return steps
}

type Add = (step: StepBody) => void

function sessionSteps(spec: Spec, input: ProcessInput, session: Add): void {
  const proc = spec.process
  session({ op: 'setsid', why: 'a new session: the container has no controlling terminal of the host' })
  if (proc.terminal && input.ptySocket) {
    session({
      op: 'open_pty', socket: input.ptySocket, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0,
      why: 'a pty from the container\'s own devpts becomes its controlling terminal and stdio; the master goes back to the runtime',
    })
  }
  if (input.createCwd !== false) {
    session({ op: 'mkdir', root: '/', path: proc.cwd, mode: 0o755, why: 'the working directory is made if the image lacks it, as Docker does' })
  }
  session({ op: 'chdir', path: proc.cwd, why: 'the working directory' })
  if (proc.user.umask !== undefined) session({ op: 'umask', mask: proc.user.umask, why: 'process.user.umask: the mode bits new files lose' })
}

function privilegeSteps(spec: Spec, input: ProcessInput, privileges: Add): void {
  const proc = spec.process
  for (const r of proc.rlimits ?? []) {
    privileges({
      op: 'setrlimit', resource: RLIMIT_NUMBERS[r.type] ?? -1, name: r.type, soft: rlimitValue(r.soft), hard: rlimitValue(r.hard),
      why: '--ulimit: the command inherits it; raising a hard limit needs CAP_SYS_RESOURCE, which the stage still has here',
    })
  }
  kernelSettingSteps(spec, privileges)
  const caps = proc.capabilities ?? {}
  privileges({
    op: 'cap_bounding', caps: caps.bounding ?? [],
    why: 'the bounding set: a capability outside it can never be gained again, not even by a setuid binary or a file capability',
  })
  if (spec.linux.seccomp && !proc.noNewPrivileges) {
    privileges({
      op: 'seccomp', filter: compileSeccomp(spec.linux.seccomp), denied: deniedSyscalls(spec),
      why: 'the config\'s seccomp filter, before the ids and capabilities change: without no_new_privs, installing a filter needs '
        + 'CAP_SYS_ADMIN, which the steps below drop (runc does the same; the profile must allow them)',
    })
  }
  const { uid, gid } = proc.user
  if (uid !== 0) privileges({ op: 'keepcaps', value: 1, why: 'keep the permitted set across setresuid, to set it explicitly next' })
  if (input.setgroupsAllowed) {
    privileges({ op: 'setgroups', gids: proc.user.additionalGids ?? [], why: 'supplementary groups from the image\'s /etc/group, none of the host\'s' })
  }
  privileges({ op: 'setresgid', gid, why: 'the user\'s group (real, effective and saved)' })
  privileges({ op: 'setresuid', uid, why: 'the user (real, effective and saved): from the image\'s User or -u' })
  // The stage holds the container's capability set as its permitted set
  // until its execve, which matters for no_new_privs below: with it, execve
  // grants nothing outside the caller's permitted set (commoncap.c,
  // cap_bprm_creds_from_file), so the command's own file capabilities count
  // and those of the programs it starts do not. Checked by experiment in
  // test/sec-explain-caps.test.ts.
  privileges({
    op: 'capset', effective: caps.effective ?? [], permitted: caps.permitted ?? [], inheritable: caps.inheritable ?? [],
    why: uid === 0
      ? 'the capability sets: root keeps them across execve'
      : 'the capability sets, until execve: none effective, so the command is found and opened with the user\'s own permissions, '
        + 'as Docker gives such a user none; the permitted set is for execve: for a non-root user it clears them, but an executable with file capabilities (setcap) '
        + 'gets those of them in the bounding set, as in Docker (a file capability outside it, marked effective, makes execve fail with EPERM)',
  })
  privileges({ op: 'cap_ambient', caps: caps.ambient ?? [], why: 'ambient capabilities survive execve for a non-root user: none unless asked' })
  if (proc.noNewPrivileges) {
    privileges({
      op: 'no_new_privs',
      why: uid === 0
        ? 'from here on execve grants no privilege the process does not already hold: setuid and setgid bits are ignored'
        : 'from here on execve grants no privilege the process does not already hold: setuid and setgid bits are ignored, and file '
          + 'capabilities count only within the permitted set. The command itself still gets its own (the sets above are held until '
          + 'its execve); the programs it starts, with an empty permitted set, get none (Docker sets this only with no-new-privileges)',
    })
  }
  if (spec.linux.seccomp && proc.noNewPrivileges) {
    privileges({
      op: 'seccomp', filter: compileSeccomp(spec.linux.seccomp), denied: deniedSyscalls(spec),
      why: 'Docker\'s default seccomp profile: these syscalls fail; last, because it refuses some of the steps above',
    })
  }
}

export const PERSONALITIES: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 }
export const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 }
export const SCHED_POLICIES: Record<string, number> = { SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_IDLE: 5, SCHED_DEADLINE: 6 }
export const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
}

/** personality, I/O priority and scheduling policy: set while the process still has the capabilities raising them needs (CAP_SYS_NICE). */
function kernelSettingSteps(spec: Spec, privileges: Add): void {
  const persona = spec.linux.personality
  if (persona) {
    privileges({ op: 'personality', persona: PERSONALITIES[persona.domain] ?? 0, name: persona.domain, why: 'linux.personality: the execution domain it runs in (LINUX32: uname reports a 32-bit machine)' })
  }
  const io = spec.process.ioPriority
  if (io) {
    privileges({ op: 'ioprio', value: ((IOPRIO_CLASSES[io.class] ?? 0) << 13) | io.priority, name: `${io.class} ${io.priority}`, why: 'process.ioPriority: its share of the disks; inherited by what it starts' })
  }
  const s = spec.process.scheduler
  if (s) {
    const flags = (s.flags ?? []).reduce((f, name) => f | (SCHED_FLAGS[name] ?? 0), 0)
    privileges({
      op: 'sched', policy: SCHED_POLICIES[s.policy] ?? 0, flags, nice: s.nice ?? 0, priority: s.priority ?? 0,
      runtime: BigInt(s.runtime ?? 0), deadline: BigInt(s.deadline ?? 0), period: BigInt(s.period ?? 0), name: `${s.policy}${s.nice ? ` nice ${s.nice}` : ''}${s.priority ? ` priority ${s.priority}` : ''}`,
      why: 'process.scheduler: its scheduling policy; inherited by what it starts',
    })
  }
}

function deniedSyscalls(spec: Spec): string[] {
  return [...new Set((spec.linux.seccomp?.syscalls ?? []).filter((r) => r.action !== 'SCMP_ACT_ALLOW').flatMap((r) => r.names))]
}

function commandSteps(spec: Spec, input: ProcessInput, command: Add): void {
  const proc = spec.process
  command({ op: 'close_fds', from: 3, why: 'no file descriptor of the runtime leaks in: only 0, 1 and 2 survive execve' })
  if (input.startGate) {
    command({
      op: 'find_exec', path: pathOf(proc.env), file: proc.args[0] ?? '',
      why: 'create fails now, not after start, when the command does not exist (runc looks it up before waiting too)',
    })
    command({
      op: 'wait_start', fifo: input.startGate.fifo,
      why: 'created: every step of the start is done but the execve, so any failure is reported to create; the process waits here '
        + 'until `start` opens the FIFO (the seccomp filter must allow the open and the write)',
    })
  }
  if (input.init) command({ op: 'fork_init', why: input.init.why })
  command({
    op: 'exec', path: pathOf(proc.env), args: proc.args, env: proc.env,
    why: 'become the command; the report pipe closes on success (close-on-exec), which tells the runtime it started',
  })
}
