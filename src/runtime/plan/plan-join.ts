/**
 * --network, --pid and --ipc container:X as steps: the runtime opens X's
 * process (found by X's id at each start, refused unless it runs), the
 * child joins X's namespace through that pidfd with setns(2) before
 * anything else, and is cloned without that namespace of its own (so no lo
 * to bring up with X's network: X's is up). The spec keeps its namespaces
 * (exec joins the container's, which are X's); only the start plan differs.
 *
 * A PID namespace joined holds only the children of the process that
 * joined it (pid_namespaces(7)), so the child forks at once (fork_relay):
 * everything after, /proc's mount first, happens in X's namespace.
 */
import type { NetworkPlan } from '../../network/plan-network.js'
import type { Spec } from '../spec/spec.js'
import { CLONE } from './namespaces.js'
import type { ChildStep, HostStep, JoinableNamespace, JoinedContainerRef, SlotRef } from './steps.js'

/** --pid/--ipc container:X: the containers whose namespaces each start joins. */
export interface JoinedNamespaces {
  pid?: JoinedContainerRef
  ipc?: JoinedContainerRef
}

interface JoinInput {
  spec: Spec
  network?: NetworkPlan
  joins?: JoinedNamespaces
}

type JoinedNetwork = NetworkPlan & { container: NonNullable<NetworkPlan['container']> }
type HostBody = Omit<Extract<HostStep, { kind: 'container_process' }>, 'section'>

const SLOTS: Record<JoinableNamespace, string> = { network: 'network-of', pid: 'pid-of', ipc: 'ipc-of' }

export function joinsNetwork(network: NetworkPlan | undefined): network is JoinedNetwork {
  return network?.mode === 'container' && network.container !== undefined
}

/** Each namespace joined and whose, network first (its order in the steps). */
function joined(input: JoinInput): [JoinableNamespace, JoinedContainerRef][] {
  const all: [JoinableNamespace, JoinedContainerRef | undefined][] = [
    ['network', joinsNetwork(input.network) ? input.network.container : undefined],
    ['ipc', input.joins?.ipc],
    ['pid', input.joins?.pid],
  ]
  return all.filter((e): e is [JoinableNamespace, JoinedContainerRef] => e[1] !== undefined)
}

/** The input as the clone sees it: no namespace of its own for those it joins. */
export function withoutJoinedNamespaces<T extends JoinInput>(input: T): T {
  const types = new Set<string>(joined(input).map(([ns]) => ns))
  if (types.size === 0) return input
  const namespaces = input.spec.linux.namespaces.filter((ns) => !types.has(ns.type))
  return { ...input, spec: { ...input.spec, linux: { ...input.spec.linux, namespaces } } }
}

const HOST_WHY: Record<JoinableNamespace, string> = {
  network: '--network container:',
  pid: '--pid container:',
  ipc: '--ipc container:',
}

/** The runtime's half: a pidfd of each container joined, first (one that does not run refuses the start before anything is made). */
export function joinHostSteps(input: JoinInput): HostBody[] {
  return joined(input).map(([namespace, { id, ref, stateRoot }]) => ({
    kind: 'container_process', stateRoot, container: id, ref, slot: SLOTS[namespace],
    ...(namespace === 'network' ? {} : { namespace }),
    why: `${HOST_WHY[namespace]}${ref}: a pid may be reused once its process is gone, a pidfd names that container's process alone, looked up by its id at each start (it may have restarted)`,
  }))
}

const CHILD_WHY: Record<JoinableNamespace, (ref: string) => string> = {
  network: (ref) => `join the network namespace of container ${ref}: its interfaces, addresses, routes, ports and lo, shared (Docker's --network container:)`,
  ipc: (ref) => `join the IPC namespace of container ${ref}: its System V IPC and POSIX message queues, shared (Docker's --ipc container:)`,
  pid: (ref) => `join the PID namespace of container ${ref}: its processes are seen and may be signalled (Docker's --pid container:); only the children of this process go there`,
}

const NSTYPE: Record<JoinableNamespace, number> = { network: CLONE.NEWNET, pid: CLONE.NEWPID, ipc: CLONE.NEWIPC }

/**
 * --ipc container:X: X's process, whose /dev/shm the joiner binds in place
 * of a tmpfs of its own (plan-rootfs.ts). POSIX shared memory is files in
 * that tmpfs, not the IPC namespace's: sharing the namespace alone shares
 * System V IPC and message queues, and Docker binds the donor's /dev/shm
 * too (moby's setupIPCDirs).
 */
export function sharedShmOf(joins: JoinedNamespaces | undefined): { pidfd: SlotRef; container: string } | undefined {
  return joins?.ipc ? { pidfd: { slot: SLOTS.ipc }, container: joins.ipc.ref } : undefined
}

/** The child's half: the setns steps, and after a PID namespace's the fork that enters it. */
export function joinChildSteps(input: JoinInput): ChildStep[] {
  const steps: ChildStep[] = joined(input).map(([namespace, { ref }]) => ({
    op: 'setns', pidfd: { slot: SLOTS[namespace] }, nstype: NSTYPE[namespace], section: 'join', why: CHILD_WHY[namespace](ref),
  }))
  if (input.joins?.pid) {
    steps.push({
      op: 'fork_relay', section: 'join',
      why: 'the PID namespace joined holds this process\'s children only: the child goes on there (it mounts /proc, which shows the mounter\'s namespace), '
        + 'not as its PID 1 (X\'s init is); this process stays outside, relays signals to it and exits with its status',
    })
  }
  return steps
}
