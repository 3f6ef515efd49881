/**
 * `network connect|disconnect` of a running container: netavark sets up (or
 * tears down) one more network in its pinned namespace, eth1, eth2...;
 * its names are registered with that network's DNS at once. The record and
 * the lease then cover every network, so the final teardown undoes all.
 * A container that does not run has the change recorded for its next
 * start (connect-stopped.ts).
 */
import { MiniRunError, UsageError } from '../errors.js'
import { findContainer, type ContainerInfo } from '../runtime/container/containers.js'
import { updateState } from '../runtime/container/state.js'
import { keepIsolationAfter, netavark as lockedNetavark, type Endpoint } from './attach.js'
import { connectStopped, disconnectStopped, planConnect, planDisconnect } from './connect-stopped.js'
import { ensurePinLocked, withContainerNetworkLock } from './netns-pin.js'
import { hairpinPorts } from './fast-bridge.js'
import { getLogger } from '../log.js'
import { hostListeners, hostRoutes } from './host-net.js'
import { heldRequest, networkRequest, readLeases, takeLease } from './leases.js'
import { checkIp6, endpoint6 } from './ipv6-subnet.js'
import { netavarkOptions, type NetavarkOptions } from './netavark.js'
import { checkSubnetFree, DEFAULT_NETWORK, findNetwork } from './networks.js'

function runningOnBridge(stateRoot: string, ref: string, c: ContainerInfo) {
  const record = c.network
  const pid = c.pid
  if (c.status !== 'running' || record?.mode !== 'bridge' || !record.netavark || record.detached || pid === undefined) {
    throw new MiniRunError(`container ${ref} is not running on a bridge network: only a running container with a network of its own can be connected`, { code: 'ENOTCONNECTABLE' })
  }
  // netavark finds the namespace by a path: a container that joined only the
  // default bridge by mini-run's own veth (fast-bridge.ts) has no pin until it needs one
  // (the caller holds the container's network lock)
  const pin = () => ensurePinLocked(stateRoot, { id: c.id, pid, ...(c.pidStartTime !== undefined ? { pidStartTime: c.pidStartTime } : {}) })
  return { c, record, netavark: record.netavark, pin }
}

export function connectContainer(storeRoot: string, stateRoot: string, ref: string, name: string, o: { aliases: string[]; ip?: string; ip6?: string }): void {
  const found = findContainer(stateRoot, ref)
  // --network container:X: its network is X's (Docker's ErrConflictSharedNetwork)
  if (found.networkContainer) throw new MiniRunError('container sharing network namespace with another container or host cannot be connected to any other network', { code: 'ENOTCONNECTABLE' })
  if (found.status !== 'running') return connectStopped(storeRoot, stateRoot, found, ref, name, o)
  // under the container's network lock, as its teardown and a reload: one at a time reads, changes and writes the record
  withContainerNetworkLock(stateRoot, found.id, () => connectRunning(storeRoot, stateRoot, ref, findContainer(stateRoot, found.id), name, o))
}

function connectRunning(storeRoot: string, stateRoot: string, ref: string, found: ContainerInfo, name: string, o: { aliases: string[]; ip?: string; ip6?: string }): void {
  const { c, record, netavark, pin } = runningOnBridge(stateRoot, ref, found)
  const def = findNetwork(storeRoot, name)
  if (record.networks.includes(def.name)) throw new MiniRunError(`container ${ref} is already connected to network ${def.name}`, { code: 'EALREADYCONNECTED' })
  if (o.aliases.length && def.builtin) throw new UsageError('--alias needs a user-defined network')
  checkIp6(def, o.ip6)
  checkSubnetFree(def, hostRoutes())
  const endpoints = record.endpoints ?? []
  let k = 0
  while (endpoints.some((e) => e.interfaceName === `eth${k}`)) k++
  const interfaceName = `eth${k}`
  // once the request is known to be good, before anything is taken for it
  const pinned = pin()
  const held = readLeases(stateRoot)[c.id]
  // -p held back while every network was internal (plan-network.ts publishedPorts): Docker
  // publishes them once a network with a way out is joined (libnetwork's sbJoin: the
  // gateway endpoint moves to it, ProgramExternalConnectivity with the sandbox's port map)
  const wanted = c.startInput?.network?.ports ?? []
  const heldBack = !def.internal && record.ports.length === 0 && record.networks.every((n) => netavark.network_info[n]?.internal === true) ? wanted : []
  const lease = takeLease(stateRoot, c.id, {
    networks: [
      ...endpoints.map((e) => heldRequest(e, netavark.network_info[e.network]!)),
      networkRequest(def, o),
    ],
    ports: heldBack.length ? heldBack : held?.ports ?? record.ports,
  }, hostListeners())
  // every network with a way out carries the ports, as a start's setup gives them to each
  // (netavark's bridge.rs: port forwarding per network): the DNAT rule of the network joined
  // first matches first, and this one's takes over when that one is disconnected, as Docker
  // moves the mappings to the endpoint that remains its way out. netavark 1.4 cannot add
  // them to a network once it is set up (its setup makes the interface): now or never
  const published = def.internal ? [] : lease.ports
  const ip6 = lease.ips6[def.name]
  const attachment = { network: def, dns: def.dns, ip: lease.ips[def.name]!, ...(ip6 !== undefined ? { ip6 } : {}), interfaceName, aliases: def.dns ? [...new Set([...o.aliases, c.id.slice(0, 12)])] : [] }
  const one = netavarkOptions({ id: c.id, name: c.name, attachments: [attachment], ports: published, dnsServers: netavark.dns_servers ?? [] })
  const merged: NetavarkOptions = {
    ...netavark,
    ...(published.length ? { port_mappings: one.port_mappings } : {}),
    networks: { ...netavark.networks, ...one.networks },
    network_info: { ...netavark.network_info, ...one.network_info },
  }
  // recorded first: a crash from here on is torn down with the rest
  const network = { ...record, networks: [...record.networks, def.name], netavark: merged, ...(published.length ? { ports: published } : {}) }
  updateState(stateRoot, c.id, (state) => ({ ...state, network }))
  const status = lockedNetavark('setup', stateRoot, pinned, one)
  // as a start does (attach.ts): its own published ports reached at the host's address come back through this port.
  // Best effort: the connect is made and recorded by now, and a refusal here must not leave it half done
  if (published.length) {
    try {
      hairpinPorts(pinned, [interfaceName])
    } catch (err) {
      getLogger().warn({ err }, `hairpin on ${interfaceName}'s bridge port: the container will not reach its own published ports at the host's address`)
    }
  }
  const endpoint: Endpoint = {
    network: def.name, interfaceName, ip: attachment.ip, prefix: Number(def.subnet.split('/')[1]), gateway: def.gateway, ...endpoint6(def, ip6),
    mac: status[def.name]?.interfaces?.[interfaceName]?.mac_address ?? '', aliases: attachment.aliases,
  }
  updateState(stateRoot, c.id, (state) => ({ ...state, network: { ...network, endpoints: [...endpoints, endpoint] } }))
  planConnect(stateRoot, c.id, { network: def, dns: def.dns, interfaceName, aliases: attachment.aliases, ...(o.ip ? { ip: o.ip } : {}), ...(o.ip6 ? { ip6: o.ip6 } : {}) })
}

export function disconnectContainer(storeRoot: string, stateRoot: string, ref: string, name: string): void {
  const found = findContainer(stateRoot, ref)
  if (found.status !== 'running') return disconnectStopped(stateRoot, found, ref, name)
  withContainerNetworkLock(stateRoot, found.id, () => disconnectRunning(storeRoot, stateRoot, ref, findContainer(stateRoot, found.id), name))
}

function disconnectRunning(storeRoot: string, stateRoot: string, ref: string, found: ContainerInfo, name: string): void {
  const { c, record, netavark, pin } = runningOnBridge(stateRoot, ref, found)
  const netName = name === 'default' ? 'bridge' : name
  if (!record.networks.includes(netName)) throw new MiniRunError(`container ${ref} is not connected to network ${name}`, { code: 'ENOTCONNECTED' })
  void storeRoot
  const one: NetavarkOptions = {
    ...netavark,
    networks: { [netName]: netavark.networks[netName]! },
    network_info: { [netName]: netavark.network_info[netName]! },
  }
  lockedNetavark('teardown', stateRoot, pin(), one)
  const rest = { ...netavark, networks: { ...netavark.networks }, network_info: { ...netavark.network_info } }
  delete rest.networks[netName]
  delete rest.network_info[netName]
  const endpoints = (record.endpoints ?? []).filter((e) => e.network !== netName)
  // its last way out gone, so are its published ports (the teardown above took their rules),
  // as Docker revokes the external connectivity of the endpoint that leaves; while one is left,
  // its own rules forward them (connect and start give the ports to every such network)
  const ports = Object.values(rest.network_info).some((n) => !n.internal) ? record.ports : []
  if (ports.length === 0) rest.port_mappings = []
  const network = { ...record, networks: record.networks.filter((n) => n !== netName), netavark: rest, endpoints, ports }
  // netavark's teardown took the default bridge's eth0, mini-run's veth or not: a later connect there is netavark's
  if (netName === DEFAULT_NETWORK) delete network.veth
  updateState(stateRoot, c.id, (state) => ({ ...state, network }))
  planDisconnect(stateRoot, c.id, netName)
  const held = readLeases(stateRoot)[c.id]
  const left = held?.networks[netName]
  const left6 = held?.networks6?.[netName]
  takeLease(stateRoot, c.id, {
    networks: endpoints.map((e) => heldRequest(e, rest.network_info[e.network]!)),
    ports,
  }, [])
  // netavark 1.4 drops the isolation jump with any network's last container, as a stop's teardown does
  if (left !== undefined) keepIsolationAfter(stateRoot, { [netName]: left }, left6 !== undefined ? { [netName]: left6 } : {})
}
