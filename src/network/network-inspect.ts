/**
 * What `network inspect` (and `inspect` of a network) shows: a network's
 * definition and the running containers on it. Not in manage.ts, which
 * brings up and takes down bridges: `inspect` (the listing bundle,
 * list-main.ts) reads a network and needs none of that.
 */
import { listContainers, type ContainerInfo } from '../runtime/container/containers.js'
import { networkMode } from '../runtime/container/filter-containers.js'
import { findNetwork } from './networks.js'

/** Containers with a network record naming it. */
export function networkUsers(stateRoot: string, name: string): ContainerInfo[] {
  return listContainers(stateRoot).filter((c) => c.network?.networks.includes(name))
}

/**
 * host and none, which `network ls` lists as Docker does: no network
 * mini-run makes, the modes of a container that shares the host's stack or
 * has only lo. Their running containers, with no address.
 */
function modeNetwork(stateRoot: string, mode: 'host' | 'none'): Record<string, unknown> {
  const containers: Record<string, unknown> = {}
  for (const c of listContainers(stateRoot)) {
    if (c.status === 'running' && networkMode(c) === mode) containers[c.id] = { Name: c.name, MacAddress: '', IPv4Address: '' }
  }
  return {
    Name: mode,
    Id: mode,
    Scope: 'local',
    Driver: mode === 'host' ? 'host' : 'null',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Config: [] },
    Internal: false,
    Containers: containers,
    Options: {},
    Labels: {},
  }
}

/** `docker network inspect`'s shape, for the fields mini-run has. */
export function inspectNetwork(storeRoot: string, stateRoot: string, name: string): Record<string, unknown> {
  if (name === 'host' || name === 'none') return modeNetwork(stateRoot, name)
  const def = findNetwork(storeRoot, name)
  const containers: Record<string, unknown> = {}
  for (const c of networkUsers(stateRoot, def.name)) {
    if (c.status !== 'running') continue
    const e = c.network?.endpoints?.find((x) => x.network === def.name)
    containers[c.id] = { Name: c.name, MacAddress: e?.mac ?? '', IPv4Address: e ? `${e.ip}/${e.prefix}` : '' }
  }
  return {
    Name: def.name,
    Id: def.id,
    Created: def.created,
    Scope: 'local',
    Driver: def.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Config: [{ Subnet: def.subnet, Gateway: def.gateway }] },
    Internal: false,
    Containers: containers,
    Options: { 'com.docker.network.bridge.name': def.bridge },
    DNSEnabled: def.dns,
    Labels: def.labels ?? {},
  }
}
