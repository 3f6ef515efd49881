/**
 * Network definitions: Docker's default `bridge` network, built in, and the
 * user's own (`network create`), one JSON file each under
 * <store>/networks/. They last across reboots, like images; what is running
 * on them (addresses, ports) is in the leases (leases.ts).
 */
import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../errors.js'
import * as lockCalls from '../native/lock-calls.js'
import { isRoot } from '../paths.js'
import { randomHex } from '../random.js'
import { bridgeOptions, checkAuxAddresses, checkIpRange, MTU_OPTION, sortedByName } from './create-options.js'
import { formatCidr, formatIp, isHostAddress, overlaps, parseCidr, parseIp, type Cidr } from './ipv4.js'
import { checkSubnet6Free, ipv6Subnet } from './ipv6-subnet.js'
import type { HostRoute } from './host-net.js'

export interface NetworkDef {
  name: string
  id: string
  driver: 'bridge'
  /** The bridge interface on the host. */
  bridge: string
  subnet: string
  gateway: string
  created: string
  /** Docker's predefined `bridge` network. */
  builtin?: boolean
  /** Containers resolve each other by name and alias (aardvark-dns on the gateway). */
  dns: boolean
  /** network create --label (compose finds its networks by theirs). */
  labels?: Record<string, string>
  /** --internal: no route out, no NAT, no published ports (netavark's `internal`). */
  internal?: boolean
  /** --attachable: Docker's flag for swarm's overlay networks; a local bridge is attachable anyway. */
  attachable?: boolean
  /** --ip-range: containers' addresses come from this part of the subnet. */
  ipRange?: string
  /** --aux-address NAME=IP: addresses of the subnet never given to a container. */
  auxAddresses?: Record<string, string>
  /** -o com.docker.network.driver.mtu: the veths' MTU (netavark's `mtu`). */
  mtu?: number
  /** --ipv6: a second subnet, IPv6 (ipv6.ts), beside the IPv4 one; containers get an address on each. */
  subnet6?: string
  /** The bridge's IPv6 address: the IPv6 subnet's first unless --gateway gave one. */
  gateway6?: string
}

export const DEFAULT_NETWORK = 'bridge'
export const DEFAULT_BRIDGE = 'mini-run0'
/**
 * Docker takes 172.17.0.0/16 and podman 10.88.0.0/16; a host that runs
 * either has those routes already. MINI_RUN_BRIDGE_SUBNET picks another.
 */
export const DEFAULT_SUBNET = '10.91.0.0/16'
/** `network create` without --subnet takes the first free /24 from here on. */
// 10.92.0.0 as a number: parsed at load, it compiled parseIp's pattern at every start (0.1 ms)
const USER_SUBNETS: Cidr = { network: 0x0a5c0000, prefix: 16 }
/** Modes that are not networks of their own. */
export const RESERVED_NAMES = new Set(['bridge', 'host', 'none', 'default', 'pasta'])
export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/

export function defaultNetwork(env: NodeJS.ProcessEnv = process.env): NetworkDef {
  const subnet = parseCidr(env.MINI_RUN_BRIDGE_SUBNET || DEFAULT_SUBNET, 'MINI_RUN_BRIDGE_SUBNET')
  return {
    name: DEFAULT_NETWORK,
    // a fixed id: netavark names nothing after it, and `network ls` shows it
    id: '9e1f0c5b7a2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f',
    driver: 'bridge',
    bridge: DEFAULT_BRIDGE,
    subnet: formatCidr(subnet),
    gateway: formatIp(subnet.network + 1),
    created: '1970-01-01T00:00:00Z',
    builtin: true,
    dns: false,
  }
}

function networksDir(storeRoot: string): string {
  return join(storeRoot, 'networks')
}

function readDef(file: string): NetworkDef | undefined {
  try {
    const def = JSON.parse(readFileSync(file, 'utf8')) as NetworkDef
    return NETWORK_NAME.test(def.name) && typeof def.subnet === 'string' ? def : undefined
  } catch {
    return undefined
  }
}

/**
 * `bridge` first, then the user's networks by name. A rootless user's list
 * has no `bridge`: mini-run0 is root's, and a rootless container, which
 * cannot join a bridge (a veth needs root), gets pasta's network instead
 * (plan-network.ts), as `network ls` shows.
 */
export function listNetworks(storeRoot: string, root = isRoot()): NetworkDef[] {
  let names: string[] = []
  try {
    names = readdirSync(networksDir(storeRoot)).filter((n) => n.endsWith('.json')).sort()
  } catch {
    // none created yet
  }
  const user = names.map((n) => readDef(join(networksDir(storeRoot), n))).filter((d): d is NetworkDef => d !== undefined)
  return root ? [defaultNetwork(), ...user] : user
}

export function findNetwork(storeRoot: string, name: string, root = isRoot()): NetworkDef {
  if ((name === DEFAULT_NETWORK || name === 'default') && !root) {
    throw new MiniRunError(`network ${name} is root's default bridge (${DEFAULT_BRIDGE}), which a rootless container cannot join: its default network is pasta`, { code: 'ENONETWORK' })
  }
  if (name === DEFAULT_NETWORK || name === 'default') return defaultNetwork()
  const all = listNetworks(storeRoot, root)
  const def = all.find((n) => n.name === name) ?? (/^[0-9a-f]{3,64}$/.test(name) ? only(all.filter((n) => n.id.startsWith(name))) : undefined)
  if (!def) throw new MiniRunError(`network ${name} not found`, { code: 'ENONETWORK' })
  return def
}

function only<T>(list: T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined
}

/** Throws if the subnet overlaps a route of the host that is not the network's own bridge. */
export function checkSubnetFree(def: Pick<NetworkDef, 'name' | 'subnet' | 'bridge' | 'subnet6'>, routes: readonly HostRoute[]): void {
  checkSubnet6Free(def)
  const subnet = parseCidr(def.subnet)
  // the default route (prefix 0) overlaps everything and says nothing
  const clash = routes.find((r) => r.dest.prefix > 0 && r.dev !== def.bridge && overlaps(r.dest, subnet))
  if (clash) {
    const hint = def.name === DEFAULT_NETWORK ? 'set MINI_RUN_BRIDGE_SUBNET to a free subnet' : 'choose another --subnet'
    throw new MiniRunError(
      `network ${def.name}: subnet ${def.subnet} overlaps the host's route to ${formatCidr(clash.dest)} on ${clash.dev}: ${hint}`,
      { code: 'ESUBNETCLASH' },
    )
  }
}

/** Run fn holding an exclusive flock on <store>/networks. */
function withNetworksLock<T>(storeRoot: string, fn: () => T): T {
  mkdirSync(networksDir(storeRoot), { recursive: true, mode: 0o700 })
  const fd = openSync(networksDir(storeRoot), constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    lockCalls.flock(fd, 'exclusive')
    return fn()
  } finally {
    closeSync(fd)
  }
}

export interface CreateNetworkOptions {
  name: string
  subnet?: string
  gateway?: string
  ipRange?: string
  auxAddresses?: Record<string, string>
  labels?: Record<string, string>
  internal?: boolean
  attachable?: boolean
  /** --ipv6: an IPv6 subnet too, subnet6 or a random unique local /64 (ipv6-subnet.ts). */
  ipv6?: boolean
  subnet6?: string
  gateway6?: string
  /** -o KEY=VALUE: the bridge driver's options (create-options.ts). */
  options?: Record<string, string>
}

/** `network create`: a new bridge network, its subnet checked against the host's routes and the other networks. */
export function createNetwork(storeRoot: string, o: CreateNetworkOptions, routes: readonly HostRoute[]): NetworkDef {
  if (!NETWORK_NAME.test(o.name)) throw new UsageError(`invalid network name "${o.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`)
  if (RESERVED_NAMES.has(o.name)) throw new UsageError(`network name "${o.name}" is reserved: it names a network mode`)
  if (o.gateway !== undefined && o.subnet === undefined) throw new UsageError('--gateway needs --subnet')
  // docker/cli's consolidateIpam: a range belongs to the subnet given with it
  if (o.ipRange !== undefined && o.subnet === undefined) throw new UsageError(`no matching subnet for range ${o.ipRange}`)
  const firstAux = Object.values(o.auxAddresses ?? {})[0]
  if (firstAux !== undefined && o.subnet === undefined) throw new UsageError(`no matching subnet for aux-address ${firstAux}`)
  if (o.gateway6 !== undefined && o.subnet6 === undefined) throw new UsageError(`no matching subnet for gateway ${o.gateway6}`)
  // Docker passes over an IPv6 pool of a network without IPv6: said, not dropped
  if (o.subnet6 !== undefined && !o.ipv6) throw new UsageError(`an IPv6 --subnet (${o.subnet6}) needs --ipv6`)
  const bridgeOpts = bridgeOptions(o.options ?? {})
  return withNetworksLock(storeRoot, () => {
    const existing = listNetworks(storeRoot)
    if (existing.some((n) => n.name === o.name)) throw new MiniRunError(`network with name ${o.name} already exists`, { code: 'ENETWORKEXISTS' })
    const taken = existing.map((n) => parseCidr(n.subnet))
    let subnet: Cidr
    if (o.subnet !== undefined) {
      subnet = parseCidr(o.subnet)
      if (subnet.prefix > 30) throw new UsageError(`invalid subnet "${o.subnet}": a /30 or larger is needed for a gateway and containers`)
      const other = existing.find((n) => overlaps(parseCidr(n.subnet), subnet))
      if (other) throw new MiniRunError(`subnet ${o.subnet} overlaps network ${other.name} (${other.subnet})`, { code: 'ESUBNETCLASH' })
    } else {
      const free = freeSubnet(taken, routes)
      if (!free) throw new MiniRunError('no free /24 left in 10.92.0.0/16 for a new network: give --subnet', { code: 'ESUBNETCLASH' })
      subnet = free
    }
    if (o.ipRange !== undefined) checkIpRange(o.ipRange, subnet)
    let gateway = subnet.network + 1
    if (o.gateway !== undefined) {
      gateway = parseIp(o.gateway, 'gateway')
      if (!isHostAddress(subnet, gateway)) throw new UsageError(`gateway ${o.gateway} is not a host address of ${formatCidr(subnet)}`)
    }
    if (o.auxAddresses !== undefined) checkAuxAddresses(o.auxAddresses, subnet, gateway)
    const v6 = o.ipv6 ? ipv6Subnet(o, existing) : undefined
    // the kernel has no IPv6 on a link below IPv6's minimum MTU (ipv6_add_dev)
    if (v6 && bridgeOpts.mtu !== undefined && bridgeOpts.mtu < 1280) throw new UsageError(`invalid ${MTU_OPTION} "${bridgeOpts.mtu}": a network with IPv6 needs 1280 or more (IPv6's minimum MTU)`)
    const bridges = new Set(existing.map((n) => n.bridge))
    const same = existing.find((n) => n.bridge === bridgeOpts.bridge)
    // moby's bridge driver: two networks on one bridge would share its rules and addresses
    if (same) throw new MiniRunError(`cannot create network ${o.name}: conflicts with network ${same.name} (${same.bridge}): networks have same bridge name`, { code: 'ENETWORKEXISTS' })
    let k = 1
    while (bridges.has(`mini-run${k}`)) k++
    const def: NetworkDef = {
      name: o.name,
      id: randomHex(32),
      driver: 'bridge',
      bridge: bridgeOpts.bridge ?? `mini-run${k}`,
      subnet: formatCidr(subnet),
      gateway: formatIp(gateway),
      created: new Date().toISOString(),
      dns: true,
      ...(o.labels && Object.keys(o.labels).length ? { labels: o.labels } : {}),
      ...(o.internal ? { internal: true } : {}),
      ...(o.attachable ? { attachable: true } : {}),
      ...(o.ipRange !== undefined ? { ipRange: o.ipRange } : {}),
      ...(o.auxAddresses !== undefined && Object.keys(o.auxAddresses).length ? { auxAddresses: sortedByName(o.auxAddresses) } : {}),
      ...(bridgeOpts.mtu !== undefined ? { mtu: bridgeOpts.mtu } : {}),
      ...(v6 ? { subnet6: v6.subnet, gateway6: v6.gateway } : {}),
    }
    checkSubnetFree(def, routes)
    const file = join(networksDir(storeRoot), `${def.name}.json`)
    writeFileSync(`${file}.tmp`, JSON.stringify(def, null, 2) + '\n', { mode: 0o600 })
    renameSync(`${file}.tmp`, file)
    return def
  })
}

function freeSubnet(taken: readonly Cidr[], routes: readonly HostRoute[]): Cidr | undefined {
  for (let i = 0; i < 256; i++) {
    const c: Cidr = { network: USER_SUBNETS.network + i * 256, prefix: 24 }
    if (taken.some((t) => overlaps(t, c))) continue
    if (routes.some((r) => r.dest.prefix > 0 && !r.dev.startsWith('mini-run') && overlaps(r.dest, c))) continue
    return c
  }
  return undefined
}

export function removeNetworkDef(storeRoot: string, name: string): void {
  withNetworksLock(storeRoot, () => rmSync(join(networksDir(storeRoot), `${name}.json`), { force: true }))
}
