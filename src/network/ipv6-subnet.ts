/**
 * A network's IPv6 subnet (network create --ipv6, compose's enable_ipv6):
 * the one --subnet gave, else a random unique local /64, as podman and
 * Docker 27 give one; its gateway, the bridge's IPv6 address, the subnet's
 * first unless --gateway gave one. Checked against the other networks'
 * IPv6 subnets; netavark adds the address to the bridge and the
 * container's, its default route and the ip6tables rules.
 */
import { readFileSync } from 'node:fs'
import { MiniRunError, UsageError } from '../errors.js'
import { randomBytes } from '../random.js'
import { contains6, formatCidr6, formatIp6, isHostAddress6, isIp6, overlaps6, parseCidr6, parseIp6, randomUla, size6, type Cidr6 } from './ipv6.js'

export interface Ipv6Request {
  subnet6?: string
  gateway6?: string
  internal?: boolean
}

export function ipv6Subnet(o: Ipv6Request, existing: readonly { name: string; subnet6?: string }[]): { subnet: string; gateway: string } {
  // mini-run fences an internal network with iptables rules (internal-fence.ts), which are IPv4's
  if (o.internal) throw new UsageError('--internal with --ipv6 is not supported: mini-run fences an internal network with IPv4 rules only')
  const taken = existing.flatMap((n) => (n.subnet6 ? [{ name: n.name, cidr: parseCidr6(n.subnet6) }] : []))
  let subnet: Cidr6
  if (o.subnet6 !== undefined) {
    subnet = parseCidr6(o.subnet6)
    checkUsable(o.subnet6, subnet)
    if (subnet.prefix > 126) throw new UsageError(`invalid subnet "${o.subnet6}": a /126 or larger is needed for a gateway and containers`)
    const other = taken.find((t) => overlaps6(t.cidr, subnet))
    if (other) throw new MiniRunError(`subnet ${o.subnet6} overlaps network ${other.name} (${formatCidr6(other.cidr)})`, { code: 'ESUBNETCLASH' })
  } else {
    // 40 random bits: drawn again on the one chance in a trillion of a clash
    do subnet = randomUla(randomBytes)
    while (taken.some((t) => overlaps6(t.cidr, subnet)))
  }
  let gateway = subnet.network + 1n
  if (o.gateway6 !== undefined) {
    gateway = parseIp6(o.gateway6, 'gateway')
    if (!isHostAddress6(subnet, gateway)) throw new UsageError(`gateway ${o.gateway6} is not a host address of ${formatCidr6(subnet)}`)
  }
  return { subnet: formatCidr6(subnet), gateway: formatIp6(gateway) }
}

/**
 * A container's IPv6 address on a network (leases.ts takes it with the
 * IPv4 one, under the same lock): --ip6's if it is a free host address of
 * the subnet, else the lowest free one after the gateway's.
 */
export function pickIp6(net: { name: string; subnet6: string; gateway6: string; ip6?: string }, taken: ReadonlyMap<string, string>): string {
  const subnet = parseCidr6(net.subnet6)
  const gateway = parseIp6(net.gateway6)
  const held = new Map([...taken].map(([ip, holder]) => [parseIp6(ip), holder]))
  if (net.ip6 !== undefined) {
    const ip = parseIp6(net.ip6, '--ip6 address')
    if (!isHostAddress6(subnet, ip) || ip === gateway) {
      throw new MiniRunError(`--ip6 ${net.ip6} is not a free host address of network ${net.name} (${net.subnet6}, gateway ${net.gateway6})`, { code: 'EADDRNOTAVAIL' })
    }
    const holder = held.get(ip)
    if (holder) throw new MiniRunError(`address ${net.ip6} on network ${net.name} is already in use by container ${holder.slice(0, 12)}`, { code: 'EADDRINUSE' })
    return formatIp6(ip)
  }
  const end = subnet.network + size6(subnet)
  for (let ip = subnet.network + 1n; ip < end; ip++) if (ip !== gateway && !held.has(ip)) return formatIp6(ip)
  throw new MiniRunError(`network ${net.name} (${net.subnet6}) has no free IPv6 address left`, { code: 'EADDRNOTAVAIL' })
}

/** An endpoint's IPv6 part (network-record.ts), on a network with an IPv6 subnet. */
export function endpoint6(def: { subnet6?: string; gateway6?: string }, ip6: string | undefined): { ip6?: string; prefix6?: number; gateway6?: string } {
  if (ip6 === undefined || def.subnet6 === undefined || def.gateway6 === undefined) return {}
  return { ip6, prefix6: Number(def.subnet6.split('/')[1]), gateway6: def.gateway6 }
}

/** --ip6 (run, connect, --network's ip6=, compose's ipv6_address): an address of the network's IPv6 subnet. */
export function checkIp6(def: { name: string; subnet6?: string }, ip6: string | undefined, flag = '--ip6'): void {
  if (ip6 === undefined) return
  if (def.subnet6 === undefined) throw new UsageError(`${flag} ${ip6}: network ${def.name} has no IPv6 subnet (network create --ipv6)`)
  if (!isIp6(ip6) || !contains6(parseCidr6(def.subnet6), parseIp6(ip6))) throw new UsageError(`invalid ${flag} "${ip6}": not an address of network ${def.name} (${def.subnet6})`)
}

/** A route of the host's IPv6 table: /proc/net/ipv6_route's destination, prefix and device. */
export interface HostRoute6 {
  dest: Cidr6
  dev: string
}

/** /proc/net/ipv6_route: 32 hex digits of destination, its prefix in hex, ..., the device last. */
export function parseRoutes6(text: string): HostRoute6[] {
  return text.split('\n').flatMap((line) => {
    const f = line.trim().split(/\s+/)
    if (f.length < 10 || !/^[0-9a-f]{32}$/.test(f[0]!)) return []
    return [{ dest: { network: BigInt(`0x${f[0]}`), prefix: parseInt(f[1]!, 16) }, dev: f[9]! }]
  })
}

function hostRoutes6(): HostRoute6[] {
  try {
    return parseRoutes6(readFileSync('/proc/net/ipv6_route', 'utf8'))
  } catch {
    return []
  }
}

/**
 * Throws if the network's IPv6 subnet overlaps a route of the host's that
 * is not its own bridge's (the default route says nothing): the bridge's
 * address would take the host's traffic to those addresses, as with IPv4
 * (networks.ts checkSubnetFree).
 */
export function checkSubnet6Free(def: { name: string; subnet6?: string; bridge: string }, routes?: readonly HostRoute6[]): void {
  // (read only for a network with IPv6: a run on another reads nothing more)
  if (def.subnet6 === undefined) return
  const subnet = parseCidr6(def.subnet6)
  const clash = (routes ?? hostRoutes6()).find((r) => r.dest.prefix > 0 && r.dev !== def.bridge && overlaps6(r.dest, subnet))
  if (clash) {
    throw new MiniRunError(`network ${def.name}: subnet ${def.subnet6} overlaps the host's route to ${formatCidr6(clash.dest)} on ${clash.dev}: choose another --subnet`, { code: 'ESUBNETCLASH' })
  }
}

/**
 * Addresses no bridge's subnet may take: ::/8 (unspecified, loopback,
 * IPv4-mapped), link-local fe80::/10 (every interface's own), multicast
 * ff00::/8; and a prefix shorter than /48, which would route a share of
 * the Internet's addresses (2000::/3 is all of them) into the bridge.
 */
const SPECIAL = ['::/8', 'fe80::/10', 'ff00::/8']

function checkUsable(text: string, subnet: Cidr6): void {
  if (subnet.prefix < 48) throw new UsageError(`invalid subnet "${text}": an IPv6 subnet of a network is a /48 or longer prefix (a shorter one would take routes of a share of the Internet's addresses)`)
  // parsed here, not at load: parseIp6's isIPv6 loads node:net, which a run's bundle loads only when it needs it (+20 ms a start)
  const special = SPECIAL.map((c) => parseCidr6(c)).find((s) => overlaps6(s, subnet))
  if (special) throw new UsageError(`invalid subnet "${text}": it overlaps ${formatCidr6(special)}, addresses no network may have (unspecified, loopback and IPv4-mapped, link-local, multicast)`)
}
