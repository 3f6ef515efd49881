/**
 * `exec`: a new process in a running container, as a plan. The runtime
 * opens a pidfd of the container's process (checked to be that process,
 * never a later one on its pid) and the container's cgroup; the child
 * joins every namespace of that process with one setns(2) through the
 * pidfd, forks so that the PID namespace applies (setns on a PID namespace
 * only moves children), then becomes the command with the container's own
 * restrictions: capabilities, no_new_privs, user, seccomp.
 */
import type { V1Leaf } from '../cgroup/cgroup-v1.js'
import type { Spec, SpecProcess } from '../spec/spec.js'
import { NAMESPACE_FLAGS } from './namespaces.js'
import { processSteps } from './plan-process.js'
import { childSlots } from './child-kinds.js'
import { type ChildStep, type CloneVia, type HostStep, type JoinedContainerRef, type StartPlan } from './steps.js'

export interface ExecInput {
  /** The container's spec, as recorded at its start. */
  spec: Spec
  container: string
  /** The container's PID 1 as the host sees it, and its start time (/proc/<pid>/stat field 22). */
  pid: number
  startTime: string
  /** The exec'd process: the container's, with exec's overrides applied. */
  process: SpecProcess
  setgroupsAllowed: boolean
  cgroupPath?: string
  /** The container's cgroup v1 leaves (a hybrid host): the new process joins them too. */
  cgroupV1?: V1Leaf[]
  /** OCI --console-socket: the pty master goes to the caller's socket, not back to the runtime. */
  consoleSocket?: string
  /**
   * --pid container:X: the container's process (a relay, plan-join.ts)
   * stays in the host's PID namespace; the command joins X's, through X's.
   */
  pidOf?: JoinedContainerRef
  /** exec -d: cloned by a mini-run-monitor that stays its parent and records its exit (exec-records.ts). */
  via?: CloneVia
}

export function planExec(input: ExecInput): StartPlan {
  const pidOf = input.pidOf
  // an OCI spec's PID namespace joined by path: the container's process relays from outside it (plan-start.ts)
  const pidPath = pidOf ? undefined : input.spec.linux.namespaces.find((ns) => ns.type === 'pid' && ns.path)?.path
  let nstype = 0
  for (const ns of input.spec.linux.namespaces) if (!(ns.type === 'pid' && (pidOf || pidPath))) nstype |= NAMESPACE_FLAGS[ns.type]
  const child: ChildStep[] = [
    {
      op: 'setns', pidfd: { slot: 'container' }, nstype, section: 'join',
      why: 'join every namespace of the container\'s process at once; the kernel enters its user namespace first, whose capabilities the others need',
    },
    ...(pidPath ? [{
      op: 'setns', pidfd: { slot: 'ns-pid' }, nstype: NAMESPACE_FLAGS.pid, section: 'join',
      why: `the PID namespace the container joined (${pidPath}): its own process relays signals from outside it, and a setns through it would join the runtime's`,
    } satisfies ChildStep] : []),
    ...(pidOf ? [{
      op: 'setns', pidfd: { slot: 'pid-of' }, nstype: NAMESPACE_FLAGS.pid, section: 'join',
      why: `--pid container:${pidOf.ref}: the PID namespace the container's command is in, container ${pidOf.ref}'s (the container's own process relays signals from outside it)`,
    } satisfies ChildStep] : []),
    ...processSteps({ ...input.spec, process: input.process }, {
      setgroupsAllowed: input.setgroupsAllowed,
      ptySocket: input.process.terminal ? { slot: 'pty-socket' } : undefined,
      init: { why: 'setns into a PID namespace moves only the children: fork, and the child becomes the command while this process waits for it' },
      createCwd: false,
    }),
  ]
  const host: HostStep[] = [
    {
      kind: 'pidfd', pid: input.pid, startTime: input.startTime, container: input.container, slot: 'container', section: 'prepare',
      why: 'a pid may be reused once its process is gone: a pidfd names the container\'s process alone, and the child joins through it',
    },
    ...(pidPath ? [{
      kind: 'namespace_open', path: pidPath, type: 'pid', slot: 'ns-pid', section: 'prepare',
      why: 'the container\'s PID namespace, joined by path at its start: an fd of it, opened now',
    } satisfies HostStep] : []),
    ...(pidOf ? [{
      kind: 'container_process', stateRoot: pidOf.stateRoot, container: pidOf.id, ref: pidOf.ref, slot: 'pid-of', namespace: 'pid', section: 'prepare',
      why: `--pid container:${pidOf.ref}: a pidfd of that container's process, looked up by its id, refused unless it runs`,
    } satisfies HostStep] : []),
  ]
  if (input.cgroupPath) {
    host.push({ kind: 'cgroup_open', path: input.cgroupPath, slot: 'cgroup', section: 'prepare', why: 'the new process is cloned straight into the container\'s cgroup, under its limits' })
  }
  if (input.process.terminal && input.consoleSocket) {
    host.push({ kind: 'console_socket', path: input.consoleSocket, slot: 'pty-socket', section: 'prepare', why: '--console-socket: the child sends its pty master to the caller on this socket' })
  } else if (input.process.terminal) {
    host.push({ kind: 'socketpair', slot: 'pty-socket', peer: 'pty-receiver', section: 'prepare', why: 'the child opens its pty inside and sends the master back on this socket' })
  }
  host.push(
    {
      kind: 'clone', flags: 0, cgroup: input.cgroupPath ? { slot: 'cgroup' } : undefined, keep: childSlots(child).map((slot) => ({ slot })),
      peer: input.process.terminal && !input.consoleSocket ? { slot: 'pty-receiver' } : undefined, via: input.via ?? { runtime: true }, section: 'clone',
      why: 'a new process, no new namespaces: it joins the container\'s',
    },
    ...(input.cgroupV1 ?? []).map((leaf): HostStep => ({
      kind: 'cgroup_attach', path: leaf.path, section: 'handshake', why: 'the container\'s cgroup v1 leaf (no CLONE_INTO_CGROUP in v1): joined before it runs anything',
    })),
    { kind: 'sync', section: 'handshake', why: 'the child waits for it, then runs its steps' },
  )
  return { host, child }
}
