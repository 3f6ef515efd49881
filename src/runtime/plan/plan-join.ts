/**
 * --network container:X as steps: the runtime opens X's process (found by
 * X's id at each start, refused unless it runs), the child joins its
 * network namespace through that pidfd with setns(2) before anything else,
 * and is cloned without a network namespace of its own (so no lo to bring
 * up: X's is up). The spec keeps its network namespace (exec joins the
 * container's, which is X's); only the start plan differs.
 */
import type { NetworkPlan } from '../../network/plan-network.js'
import type { Spec } from '../spec/spec.js'
import { CLONE } from './namespaces.js'
import type { ChildStep, HostStep } from './steps.js'

const SLOT = 'network-of'

type JoinedNetwork = NetworkPlan & { container: NonNullable<NetworkPlan['container']> }

export function joinsNetwork(network: NetworkPlan | undefined): network is JoinedNetwork {
  return network?.mode === 'container' && network.container !== undefined
}

/** The spec as the clone sees it: no network namespace of its own to make. */
export function withoutOwnNetwork(spec: Spec): Spec {
  return { ...spec, linux: { ...spec.linux, namespaces: spec.linux.namespaces.filter((ns) => ns.type !== 'network') } }
}

export function joinNetworkHostStep(network: JoinedNetwork): Omit<Extract<HostStep, { kind: 'container_process' }>, 'section'> {
  const { id, ref, stateRoot } = network.container
  return {
    kind: 'container_process', stateRoot, container: id, ref, slot: SLOT,
    why: `--network container:${ref}: a pid may be reused once its process is gone, a pidfd names that container's process alone, looked up by its id at each start (it may have restarted)`,
  }
}

export function joinNetworkChildStep(network: JoinedNetwork): ChildStep {
  return {
    op: 'setns', pidfd: { slot: SLOT }, nstype: CLONE.NEWNET, section: 'join',
    why: `join the network namespace of container ${network.container.ref}: its interfaces, addresses, routes, ports and lo, shared (Docker's --network container:)`,
  }
}
