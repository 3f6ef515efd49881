/**
 * IPAM and host ports: who holds which address on which network, and which
 * host port. One file, <state>/network/leases.json, read and rewritten
 * under an exclusive flock(2) of its directory, as podman's libnetwork
 * does its own IPAM (netavark takes the addresses it is given).
 *
 * A lease names its container. It is taken before any interface or rule
 * exists and released after they are gone, so whatever a crash leaves,
 * `rm -f` finds by the container's id. A lease whose container has no
 * state and whose taker is gone (a runtime killed between the two) is
 * stale and dropped by the next taker, as userns-ranges.ts does with slots.
 */
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import * as lockCalls from '../native/lock-calls.js'
import { processStartTime } from '../proc-stat.js'
import { contains, formatIp, isHostAddress, parseCidr, parseIp, size } from './ipv4.js'
import { pickIp6 } from './ipv6-subnet.js'
import type { Listener } from './host-net.js'
import type { PortMapping } from './port-spec.js'
import type { NetavarkOptions } from './netavark.js'
import type { Endpoint } from './network-record.js'
import type { NetworkDef } from './networks.js'
import { removeFile } from '../remove-file.js'
import { settleIdleDns } from './idle-dns.js'
import { getLogger } from '../log.js'

export interface Lease {
  /** "<pid>.<start time>" of the process that took it. */
  owner: string
  /** Network name -> the container's address on it. */
  networks: Record<string, string>
  /** Network name -> its IPv6 address there, on networks with an IPv6 subnet (ipv6-subnet.ts). */
  networks6?: Record<string, string>
  ports: PortMapping[]
}

export interface LeaseRequest {
  /**
   * ipRange: a free address is taken from there only (network create --ip-range); a static ip may be anywhere in the subnet.
   * reserved: the network's --aux-address ones, never taken.
   */
  networks: { name: string; subnet: string; gateway: string; ip?: string; ipRange?: string; reserved?: Record<string, string>; subnet6?: string; gateway6?: string; ip6?: string }[]
  ports: PortMapping[]
}

/** What a network asks of the IPAM for a container: its subnets, and the addresses --ip and --ip6 name. */
export function networkRequest(def: NetworkDef, o: { ip?: string; ip6?: string }): LeaseRequest['networks'][number] {
  return {
    name: def.name,
    subnet: def.subnet,
    gateway: def.gateway,
    ...(o.ip ? { ip: o.ip } : {}),
    ...(def.ipRange ? { ipRange: def.ipRange } : {}),
    ...(def.auxAddresses ? { reserved: def.auxAddresses } : {}),
    ...(def.subnet6 !== undefined && def.gateway6 !== undefined ? { subnet6: def.subnet6, gateway6: def.gateway6, ...(o.ip6 ? { ip6: o.ip6 } : {}) } : {}),
  }
}

/** An endpoint's request on a lease taken again (connect, disconnect): the addresses it holds, kept. */
export function heldRequest(e: Endpoint, info: NetavarkOptions['network_info'][string]): LeaseRequest['networks'][number] {
  const v6 = info.subnets[1]
  return { name: e.network, subnet: info.subnets[0]!.subnet, gateway: e.gateway, ip: e.ip, ...(v6 && e.ip6 ? { subnet6: v6.subnet, gateway6: v6.gateway, ip6: e.ip6 } : {}) }
}

export function networkStateDir(stateRoot: string): string {
  return join(stateRoot, 'network')
}

function leasesFile(stateRoot: string): string {
  return join(networkStateDir(stateRoot), 'leases.json')
}

export function withNetworkLock<T>(stateRoot: string, fn: () => T): T {
  const dir = networkStateDir(stateRoot)
  for (;;) {
    let fd: number
    try {
      // ENOENT from either: removed as the last lease went (tidy), between the mkdir's EEXIST and its check
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    try {
      lockCalls.flock(fd, 'exclusive')
      // the holder before us removed it (tidy below): lock the new one
      if (fstatSync(fd).nlink === 0) continue
      try {
        return fn()
      } finally {
        // No lease left, and so no network state to keep: this lock made the
        // directory to lock it (a take refused, a release or a rename that
        // waited while the last lease went and found nothing), and it goes
        // as with the last lease.
        if (!existsSync(leasesFile(stateRoot))) tidy(stateRoot)
      }
    } finally {
      closeSync(fd) // releases the lock
    }
  }
}

/**
 * The leases, none where the file is missing. A file that does not parse is
 * refused, naming it: read as none, it would hand out again the addresses
 * and ports of every running container (as podman's IPAM refuses a corrupt
 * database rather than start over).
 */
export function readLeases(stateRoot: string): Record<string, Lease> {
  const file = leasesFile(stateRoot)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new MiniRunError(`read the network leases ${file}: ${(err as Error).message}`, { cause: err })
  }
  let leases: unknown
  try {
    leases = JSON.parse(text)
  } catch (err) {
    throw corrupt(file, (err as Error).message, err)
  }
  if (typeof leases !== 'object' || leases === null || Array.isArray(leases)) throw corrupt(file, 'not a JSON object')
  return leases as Record<string, Lease>
}

function corrupt(file: string, why: string, cause?: unknown): MiniRunError {
  return new MiniRunError(`the network leases ${file} are corrupt (${why}): stop the containers on bridge networks, then remove the file`, { code: 'ELEASESCORRUPT', cause })
}

/**
 * A teardown's reading: the leases, or undefined where the file is corrupt.
 * A stop or an `rm -f` goes on without them (what it gives back is its
 * devices and rules), and the file stays for the next take to refuse.
 */
export function leasesForTeardown(stateRoot: string): Record<string, Lease> | undefined {
  try {
    return readLeases(stateRoot)
  } catch (err) {
    if ((err as MiniRunError).code !== 'ELEASESCORRUPT') throw err
    getLogger().debug({ err }, 'network leases unreadable: none given back')
    return undefined
  }
}

function writeLeases(stateRoot: string, leases: Record<string, Lease>): void {
  const file = leasesFile(stateRoot)
  writeFileSync(`${file}.tmp`, JSON.stringify(leases, null, 1) + '\n', { mode: 0o600 })
  renameSync(`${file}.tmp`, file)
}

function isStale(stateRoot: string, id: string, lease: Lease): boolean {
  if (existsSync(join(stateRoot, id))) return false
  const [pid, start] = lease.owner.split('.')
  return processStartTime(Number(pid)) !== start
}

/** Two mappings take the same host port: same protocol, overlapping ports, and one address covers the other. */
export function portsClash(a: Pick<PortMapping, 'hostIp' | 'hostPort' | 'range' | 'protocol'>, b: Pick<PortMapping, 'hostIp' | 'hostPort' | 'range' | 'protocol'>): boolean {
  if (a.protocol !== b.protocol) return false
  if (a.hostIp !== '' && b.hostIp !== '' && a.hostIp !== b.hostIp) return false
  return a.hostPort < b.hostPort + b.range && b.hostPort < a.hostPort + a.range
}

function listenerClash(p: PortMapping, listeners: readonly Listener[]): Listener | undefined {
  return listeners.find((l) => portsClash(p, { hostIp: l.ip, hostPort: l.port, range: 1, protocol: l.protocol }))
}

/** -p 8000-8010:80: the first host port of the range that nothing holds, as Docker's allocator takes it. */
function portInRange(p: PortMapping, held: readonly PortMapping[], listeners: readonly Listener[]): PortMapping {
  const { hostPortEnd = p.hostPort, ...mapping } = p
  for (let port = p.hostPort; port <= hostPortEnd; port++) {
    const candidate = { ...mapping, hostPort: port }
    if (!held.some((h) => portsClash(h, candidate)) && !listenerClash(candidate, listeners)) return candidate
  }
  throw new MiniRunError(`Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort}-${hostPortEnd} failed: port is already allocated`, { code: 'EPORTINUSE' })
}

function localPortRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (lo && hi && lo < hi) return [lo, hi]
  } catch {
    // Linux's default
  }
  return [32768, 60999]
}

/**
 * Take addresses and host ports for container `id`: a static address
 * (--ip) if it is free, else the lowest free one; a free host port (from
 * the ephemeral range, as Docker picks) where none was given. Throws,
 * taking nothing, when an address or port is taken.
 */
export function takeLease(
  stateRoot: string,
  id: string,
  request: LeaseRequest,
  listeners: readonly Listener[],
): { ips: Record<string, string>; ips6: Record<string, string>; ports: PortMapping[] } {
  return withNetworkLock(stateRoot, () => {
    const leases = readLeases(stateRoot)
    for (const [other, lease] of Object.entries(leases)) if (other === id || isStale(stateRoot, other, lease)) delete leases[other]
    const ips: Record<string, string> = {}
    const ips6: Record<string, string> = {}
    for (const net of request.networks) {
      if (net.subnet6 !== undefined && net.gateway6 !== undefined) {
        const taken6 = new Map(Object.entries(leases).flatMap(([other, lease]) => (lease.networks6?.[net.name] ? [[lease.networks6[net.name]!, other] as const] : [])))
        ips6[net.name] = pickIp6({ ...net, subnet6: net.subnet6, gateway6: net.gateway6 }, taken6)
      }
      const subnet = parseCidr(net.subnet)
      const gateway = parseIp(net.gateway)
      const taken = new Map<number, string>()
      for (const [other, lease] of Object.entries(leases)) {
        const ip = lease.networks[net.name]
        if (ip) taken.set(parseIp(ip), other)
      }
      if (net.ip !== undefined) {
        const ip = parseIp(net.ip, '--ip address')
        if (!contains(subnet, ip) || !isHostAddress(subnet, ip) || ip === gateway) {
          throw new MiniRunError(`--ip ${net.ip} is not a free host address of network ${net.name} (${net.subnet}, gateway ${net.gateway})`, { code: 'EADDRNOTAVAIL' })
        }
        const holder = taken.get(ip)
        if (holder) throw new MiniRunError(`address ${net.ip} on network ${net.name} is already in use by container ${holder.slice(0, 12)}`, { code: 'EADDRINUSE' })
        const aux = Object.entries(net.reserved ?? {}).find(([, text]) => parseIp(text) === ip)
        if (aux) throw new MiniRunError(`address ${net.ip} on network ${net.name} is already in use: the network reserves it (aux-address ${aux[0]})`, { code: 'EADDRINUSE' })
        ips[net.name] = net.ip
        continue
      }
      const range = net.ipRange !== undefined ? parseCidr(net.ipRange) : subnet
      for (const text of Object.values(net.reserved ?? {})) taken.set(parseIp(text), 'aux-address')
      let found: number | undefined
      for (let ip = Math.max(range.network, subnet.network + 1); ip < range.network + size(range) && ip < subnet.network + size(subnet) - 1; ip++) {
        if (ip !== gateway && !taken.has(ip)) {
          found = ip
          break
        }
      }
      if (found === undefined) throw new MiniRunError(`network ${net.name} (${net.ipRange !== undefined ? `${net.subnet}, ip-range ${net.ipRange}` : net.subnet}) has no free address left`, { code: 'EADDRNOTAVAIL' })
      ips[net.name] = formatIp(found)
    }

    const held = Object.values(leases).flatMap((l) => l.ports)
    const ports: PortMapping[] = []
    for (const p of request.ports) {
      if (p.hostPortEnd !== undefined) {
        ports.push(portInRange(p, [...held, ...ports], listeners))
        continue
      }
      const where = `${p.hostIp || '0.0.0.0'}:${p.hostPort}`
      if (p.hostPort !== 0) {
        if ([...held, ...ports].some((h) => portsClash(h, p))) {
          throw new MiniRunError(`Bind for ${where} failed: port is already allocated`, { code: 'EPORTINUSE' })
        }
        const l = listenerClash(p, listeners)
        if (l) throw new MiniRunError(`Bind for ${where} failed: port is already in use on the host (a ${l.protocol} socket on ${l.ip || '0.0.0.0'}:${l.port})`, { code: 'EPORTINUSE' })
        ports.push(p)
        continue
      }
      const [lo, hi] = localPortRange()
      const span = hi - lo + 1
      const offset = Math.floor(Math.random() * span)
      let picked: PortMapping | undefined
      for (let i = 0; i < span && !picked; i++) {
        const candidate = { ...p, hostPort: lo + ((offset + i) % span) }
        if (candidate.hostPort + p.range - 1 > hi) continue
        if ([...held, ...ports].some((h) => portsClash(h, candidate)) || listenerClash(candidate, listeners)) continue
        picked = candidate
      }
      if (!picked) throw new MiniRunError(`no free host port in ${lo}-${hi} for ${p.containerPort}/${p.protocol}`, { code: 'EPORTINUSE' })
      ports.push(picked)
    }
    leases[id] = { owner: `${process.pid}.${processStartTime(process.pid) ?? '0'}`, networks: ips, ...(Object.keys(ips6).length ? { networks6: ips6 } : {}), ports }
    writeLeases(stateRoot, leases)
    return { ips, ips6, ports }
  })
}

/** Give back what container `id` holds (nothing if it holds nothing); what it held, once: a second release finds none. */
export function releaseLease(stateRoot: string, id: string): Lease | undefined {
  if (!existsSync(leasesFile(stateRoot))) return undefined
  return withNetworkLock(stateRoot, () => {
    const leases = leasesForTeardown(stateRoot)
    const lease = leases?.[id]
    if (!leases || !lease) return undefined
    delete leases[id]
    if (Object.keys(leases).length) writeLeases(stateRoot, leases)
    // the last one: the network state goes as the lock is given back (withNetworkLock)
    else removeFile(leasesFile(stateRoot))
    return lease
  })
}

/** With no lease left (a network taken down without a container), the network state goes as with the last one. */
export function tidyWithoutLeases(stateRoot: string): void {
  if (!existsSync(networkStateDir(stateRoot))) return
  // a leases file that holds none counts as none: the lock's own tidy then takes the state (a corrupt one stays)
  withNetworkLock(stateRoot, () => {
    const leases = leasesForTeardown(stateRoot)
    if (leases && Object.keys(leases).length === 0) removeFile(leasesFile(stateRoot))
  })
}

/**
 * With the last lease the network state goes, as names/ does, unless
 * aardvark-dns still runs: it exits once netavark has told it its last
 * container is gone, and removes its pid file.
 */
function tidy(stateRoot: string): void {
  const dir = networkStateDir(stateRoot)
  const dns = join(dir, 'aardvark-dns')
  try {
    settleIdleDns(dir, 1000)
    if (existsSync(dns) && readdirSync(dns).length) return
    removeFile(leasesFile(stateRoot))
    removeFile(join(dir, 'aardvark.lock'))
    if (existsSync(dns)) rmdirSync(dns)
    rmdirSync(dir)
  } catch {
    // something else is there: leave it
  }
}
