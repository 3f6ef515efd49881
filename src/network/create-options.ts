/**
 * What `network create` (and a compose file's `networks:`) may say beyond
 * a name and a subnet, checked before anything is written: --ip-range in
 * Docker's words (moby api/types/network/ipam.go, validateIPRange), and the
 * bridge driver's -o options that netavark has a field for. netavark 1.4
 * (Debian 12) reads `mtu`, `isolate`, `metric` and `mode` from a bridge
 * network's options (src/network/bridge.rs, constants.rs) and names the
 * bridge by `network_interface`: Docker's `com.docker.network.bridge.name`
 * and `com.docker.network.driver.mtu` map onto those two; Docker's others
 * (masquerade, ICC, host binding address...) have nothing in netavark to
 * become, and are refused rather than ignored.
 */
import { UsageError } from '../errors.js'
import { contains, formatCidr, isHostAddress, overlaps, parseCidr, parseIp, type Cidr } from './ipv4.js'

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name'
export const MTU_OPTION = 'com.docker.network.driver.mtu'
const SUPPORTED = [BRIDGE_NAME_OPTION, MTU_OPTION]

/** A Linux interface name: IFNAMSIZ is 16 with the NUL, and no '/', ':' or white space (dev_valid_name). */
const INTERFACE_NAME = /^[a-zA-Z0-9_.-]{1,15}$/

export interface BridgeOptions {
  bridge?: string
  mtu?: number
}

/** `-o KEY=VALUE` flags as a map (docker/cli's MapOpts: the last of a key wins). */
export function parseDriverOptions(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    if (eq <= 0) throw new UsageError(`invalid driver option "${flag}": use KEY=VALUE`)
    out[flag.slice(0, eq)] = flag.slice(eq + 1)
  }
  return out
}

/** The bridge driver's options netavark can honour; any other is refused by name. */
export function bridgeOptions(options: Record<string, string>): BridgeOptions {
  const out: BridgeOptions = {}
  for (const [key, value] of Object.entries(options)) {
    if (key === BRIDGE_NAME_OPTION) {
      if (!INTERFACE_NAME.test(value) || value === '.' || value === '..') {
        throw new UsageError(`invalid ${BRIDGE_NAME_OPTION} "${value}": an interface name of 1 to 15 characters [a-zA-Z0-9_.-]`)
      }
      // the default bridge's and its anchors' (fast-bridge.ts anchorName): its code would delete them
      if (value === 'mini-run0' || /-pi[np]$/.test(value)) throw new UsageError(`invalid ${BRIDGE_NAME_OPTION} "${value}": a name mini-run keeps for the default bridge and its anchors`)
      out.bridge = value
    } else if (key === MTU_OPTION) {
      // 68: IPv4's minimum (RFC 791); 65535: what an IPv4 packet can be
      const mtu = /^\d{1,5}$/.test(value) ? Number(value) : NaN
      if (!(mtu >= 68 && mtu <= 65535)) throw new UsageError(`invalid ${MTU_OPTION} "${value}": a number from 68 to 65535`)
      out.mtu = mtu
    } else {
      throw new UsageError(`network option "${key}" is not supported: only ${SUPPORTED.join(' and ')} (netavark has nothing else a bridge option could become)`)
    }
  }
  return out
}

/**
 * --subnet, --gateway, --ip-range: Docker takes several (a network of
 * several subnets, each with its gateway and range); a mini-run network has
 * one IPv4 subnet and, with --ipv6, one IPv6 subnet, so more than one of a
 * family is refused rather than all but the last dropped.
 */
export function onlyOne(flag: string, values: readonly string[]): string | undefined {
  if (values.length > 1) throw new UsageError(`${flag} given ${values.length} times (${values.join(', ')}): a mini-run network has one IPv4 subnet and one IPv6 subnet, each with one gateway; one range, IPv4`)
  return values[0]
}

/** A flag's values split by family (an IPv6 address has a ':'), at most one of each (onlyOne). */
export function byFamily(flag: string, values: readonly string[]): { v4?: string; v6?: string } {
  const v4 = onlyOne(flag, values.filter((v) => !v.includes(':')))
  const v6 = onlyOne(flag, values.filter((v) => v.includes(':')))
  return { ...(v4 !== undefined ? { v4 } : {}), ...(v6 !== undefined ? { v6 } : {}) }
}

/**
 * --aux-address NAME=IP (docker/cli's consolidateIpam, libnetwork's IPAM):
 * addresses of the subnet reserved for devices of the user's, never given
 * to a container. Each must be in the subnet (docker/cli's words when it
 * is not, or when no subnet is given), and not its gateway.
 */
export function checkAuxAddresses(aux: Record<string, string>, subnet: Cidr | undefined, gateway: number | undefined): void {
  const seen = new Map<number, string>()
  for (const [name, text] of Object.entries(aux)) {
    const ip = parseIp(text, 'aux-address')
    if (subnet === undefined || !contains(subnet, ip)) throw new UsageError(`no matching subnet for aux-address ${text}`)
    // libnetwork's IPAM takes each as an address of the pool: the network's and broadcast ones, the gateway's, one taken twice are not free
    const taken = !isHostAddress(subnet, ip) ? `not a host address of ${formatCidr(subnet)}` : ip === gateway ? 'the network\'s gateway' : seen.has(ip) ? `reserved already (${seen.get(ip)!})` : undefined
    if (taken !== undefined) throw new UsageError(`failed to allocate secondary ip address (${name}:${text}): ${taken}`)
    seen.set(ip, name)
  }
}

/**
 * --aux-address values (docker/cli's MapOpts): NAME=IP each, the last of a
 * name counting, one with no address passed over (consolidateIpam); kept in
 * the order of their names, as moby's map is printed.
 */
export function parseAuxAddresses(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    if (eq <= 0) throw new UsageError(`invalid --aux-address "${flag}": use NAME=IP`)
    if (flag.slice(eq + 1) !== '') out[flag.slice(0, eq)] = flag.slice(eq + 1)
  }
  return sortedByName(out)
}

/** A map's entries in the order of their keys (Go's encoders print maps so). */
export function sortedByName(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/**
 * --ip-range: the part of the subnet containers' addresses are taken from
 * (a static --ip may still be anywhere in the subnet, as Docker allows).
 */
export function checkIpRange(ipRange: string, subnet: Cidr): Cidr {
  const range = parseCidr(ipRange, 'ip-range')
  if (range.prefix < subnet.prefix) throw new UsageError(`invalid ip-range ${ipRange}: CIDR block is bigger than its parent subnet ${formatCidr(subnet)}`)
  if (!overlaps(range, subnet)) throw new UsageError(`invalid ip-range ${ipRange}: parent subnet ${formatCidr(subnet)} doesn't contain ip-range`)
  return range
}
