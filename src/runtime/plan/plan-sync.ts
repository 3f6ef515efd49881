/**
 * Where a start's child waits for the runtime: at the clone (the sync byte
 * before the stage runs at all), or, when the runtime's part after the clone
 * is the network alone, at a sync_wait step of its own program, so that it
 * sets up its filesystem while the runtime attaches the network.
 */
import type { NetworkPlan } from '../../network/plan-network.js'
import type { Spec } from '../spec/spec.js'
import type { ChildStep, CloneVia } from './steps.js'

/** What of a start's input decides it (plan-start.ts PlanInput). */
interface SyncInput {
  spec: Spec
  network?: NetworkPlan
  cgroupV1?: readonly unknown[]
  hookState?: unknown
  via?: CloneVia
}

/**
 * Whether the child may set up its filesystem while the runtime attaches
 * the network, instead of waiting for all of it at the clone: when the
 * runtime's part after the clone is the network alone. Not in a user
 * namespace (the id maps come first: the stage's execve needs them), nor
 * with a v1 cgroup to join, an oom_score_adj to write or hooks to run,
 * whose order the old handshake keeps; and only when the runtime is the
 * parent (mini-run-monitor passes the sync pipe to the trampoline).
 */
export function overlapsNetwork(input: SyncInput): boolean {
  const { spec } = input
  // bridge only: pasta is planned rootless, always in a user namespace
  return input.network?.mode === 'bridge'
    && !spec.linux.namespaces.some((ns) => ns.type === 'user')
    && !input.cgroupV1?.length && spec.process.oomScoreAdj === undefined
    && !(input.hookState && (spec.hooks?.prestart?.length || spec.hooks?.createRuntime?.length))
    && (input.via === undefined || 'runtime' in input.via)
}

/**
 * Where the child waits: before it binds the first file the network step
 * writes; with none bound (volumes over them, a --rootfs without them),
 * right after its mounts, before anything that may name the network's
 * devices (a net.* sysctl).
 */
export function syncWaitIndex(network: NetworkPlan, child: readonly ChildStep[]): number {
  const written = new Set(Object.values(network.files))
  const first = child.findIndex((step) => step.op === 'mount' && step.source !== undefined && written.has(step.source))
  if (first >= 0) return first
  const after = child.findIndex((step) => step.section !== 'rootfs' && step.section !== 'mounts')
  if (after < 0) throw new TypeError('a start plan without steps after its mounts')
  return after
}
