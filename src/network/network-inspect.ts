/**
 * What `network inspect` (and `inspect` of a network) shows: a network's
 * definition and the running containers on it. Not in manage.ts, which
 * brings up and takes down bridges: `inspect` (the listing bundle,
 * list-main.ts) reads a network and needs none of that.
 */
import { listContainers, type ContainerInfo } from '../runtime/container/containers.js'
import { networkMode } from '../runtime/container/filter-containers.js'
import { isRoot } from '../paths.js'
import { BRIDGE_NAME_OPTION, MTU_OPTION } from './create-options.js'
import { findNetwork } from './networks.js'

/** Containers with a network record naming it. */
export function networkUsers(stateRoot: string, name: string): ContainerInfo[] {
  return listContainers(stateRoot).filter((c) => c.network?.networks.includes(name))
}

/** A mode that `network ls` lists and `network inspect` shows, though no network of mini-run's. */
export interface ModeNetwork {
  name: 'pasta' | 'host' | 'none'
  driver: 'pasta' | 'host' | 'null'
}

/**
 * host and none, which `network ls` lists as Docker does: no network
 * mini-run makes, the modes of a container that shares the host's stack or
 * has only lo. A rootless user's list starts with pasta, their containers'
 * default in place of root's `bridge`: a network namespace each, no
 * addresses of mini-run's, nothing shared between containers.
 */
export function modeNetworks(root = isRoot()): ModeNetwork[] {
  return [...(root ? [] : [{ name: 'pasta', driver: 'pasta' } as const]), { name: 'host', driver: 'host' }, { name: 'none', driver: 'null' }]
}

/** A mode's running containers, with no address. */
function modeNetwork(stateRoot: string, mode: ModeNetwork): Record<string, unknown> {
  const containers: Record<string, unknown> = {}
  for (const c of listContainers(stateRoot)) {
    if (c.status === 'running' && networkMode(c) === mode.name) containers[c.id] = { Name: c.name, MacAddress: '', IPv4Address: '', IPv6Address: '' }
  }
  return {
    Name: mode.name,
    Id: mode.name,
    Scope: 'local',
    Driver: mode.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Config: [] },
    Internal: false,
    Attachable: false,
    Containers: containers,
    Options: {},
    Labels: {},
  }
}

/** `docker network inspect`'s shape, for the fields mini-run has. */
export function inspectNetwork(storeRoot: string, stateRoot: string, name: string, root = isRoot()): Record<string, unknown> {
  const mode = modeNetworks(root).find((m) => m.name === name)
  if (mode) return modeNetwork(stateRoot, mode)
  const def = findNetwork(storeRoot, name, root)
  const containers: Record<string, unknown> = {}
  for (const c of networkUsers(stateRoot, def.name)) {
    if (c.status !== 'running') continue
    const e = c.network?.endpoints?.find((x) => x.network === def.name)
    containers[c.id] = { Name: c.name, MacAddress: e?.mac ?? '', IPv4Address: e ? `${e.ip}/${e.prefix}` : '', IPv6Address: e?.ip6 ? `${e.ip6}/${e.prefix6}` : '' }
  }
  return {
    Name: def.name,
    Id: def.id,
    Created: def.created,
    Scope: 'local',
    Driver: def.driver,
    EnableIPv6: def.subnet6 !== undefined,
    // moby's IPAMConfig order, AuxiliaryAddresses left out when none; the IPv6 subnet second, as Docker lists it
    IPAM: {
      Driver: 'default',
      Config: [
        { Subnet: def.subnet, ...(def.ipRange ? { IPRange: def.ipRange } : {}), Gateway: def.gateway, ...(def.auxAddresses ? { AuxiliaryAddresses: def.auxAddresses } : {}) },
        ...(def.subnet6 !== undefined ? [{ Subnet: def.subnet6, Gateway: def.gateway6 }] : []),
      ],
    },
    Internal: def.internal === true,
    Attachable: def.attachable === true,
    Containers: containers,
    Options: { [BRIDGE_NAME_OPTION]: def.bridge, ...(def.mtu !== undefined ? { [MTU_OPTION]: String(def.mtu) } : {}) },
    DNSEnabled: def.dns,
    Labels: def.labels ?? {},
  }
}
