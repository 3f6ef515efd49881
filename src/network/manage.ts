/**
 * `network create|ls|inspect|rm|prune`: user-defined networks and who is on
 * them. A network in use by a container (any, running or not: it would
 * start on it) is not removed.
 */
import { MiniRunError } from '../errors.js'
import { isRoot } from '../paths.js'
import { listContainers, type ContainerInfo } from '../runtime/container/containers.js'
import { networkEvent, pruneEvent } from '../events/resource-events.js'
import { hostRoutes } from './host-net.js'
import { takeDownDefaultBridge } from './fast-bridge.js'
import { unfenceGone } from './internal-fence.js'
import { tidyWithoutLeases, withNetworkLock } from './leases.js'
import { createNetwork, DEFAULT_NETWORK, findNetwork, listNetworks, removeNetworkDef, type CreateNetworkOptions, type NetworkDef } from './networks.js'

/**
 * The networks a container is on, or was on when it last ran (its record),
 * or, never started, would start on (its plan: a created container has no
 * record yet).
 */
function networksOf(c: ContainerInfo): string[] {
  return c.network?.networks ?? c.startInput?.network?.attachments.map((a) => a.network.name) ?? []
}

export function createUserNetwork(storeRoot: string, o: CreateNetworkOptions): NetworkDef {
  return createNetwork(storeRoot, o, hostRoutes())
}

export function removeUserNetwork(storeRoot: string, stateRoot: string, name: string): NetworkDef {
  // network ls lists them beside bridge (network-list.ts): Docker refuses them by the same words
  if (name === 'host' || name === 'none') throw new MiniRunError(`${name} is a pre-defined network and cannot be removed`, { code: 'EBUILTIN' })
  const def = findNetwork(storeRoot, name)
  if (def.builtin) throw new MiniRunError(`${def.name} is a pre-defined network and cannot be removed`, { code: 'EBUILTIN' })
  const users = listContainers(stateRoot).filter((c) => networksOf(c).includes(def.name))
  if (users.length) {
    throw new MiniRunError(`network ${def.name} is in use by container ${users[0]!.name} (${users[0]!.id.slice(0, 12)}): remove it first`, { code: 'ENETWORKBUSY' })
  }
  removeNetworkDef(storeRoot, def.name)
  if (def.internal && isRoot()) unfence(stateRoot, def)
  return def
}

/** An internal network's drop rules (internal-fence.ts) that a crash left: they go with the network. */
function unfence(stateRoot: string, def: NetworkDef): void {
  withNetworkLock(stateRoot, () => unfenceGone(def.bridge))
  tidyWithoutLeases(stateRoot)
}

/**
 * The user's networks no container uses; as root, also the default
 * bridge's bridge and rules while no container is on it (fast-bridge.ts).
 * A rootless user has no bridge to take down: their containers are on
 * pasta or none, and the mini-run0 they may see is root's, with root's
 * containers on it (their leases are not in this user's state), which a
 * teardown could not touch anyway (unshare --net needs CAP_SYS_ADMIN).
 */
export function pruneNetworks(storeRoot: string, stateRoot: string, o: { root?: boolean; only?: (def: NetworkDef) => boolean } = {}): string[] {
  const root = o.root ?? isRoot()
  const containers = listContainers(stateRoot)
  const used = new Set(containers.flatMap(networksOf))
  if (root && !containers.some((c) => c.network?.networks.includes(DEFAULT_NETWORK))) takeDownDefaultBridge(stateRoot)
  const removed: string[] = []
  for (const def of listNetworks(storeRoot)) {
    if (def.builtin || used.has(def.name) || (o.only && !o.only(def))) continue
    removeNetworkDef(storeRoot, def.name)
    if (def.internal && root) unfence(stateRoot, def)
    removed.push(def.name)
    networkEvent(stateRoot, 'destroy', def)
  }
  // Docker's: a network frees no bytes of its own (daemon/prune.go NetworksPrune)
  pruneEvent(stateRoot, 'network', 0)
  return removed
}

export { listNetworks }
