/**
 * IPv4 addresses and subnets as numbers (pure). Every network has an IPv4
 * subnet; one made with --ipv6 has an IPv6 subnet besides (ipv6.ts).
 */
import { UsageError } from '../errors.js'

export interface Cidr {
  /** The network address, as an unsigned 32-bit number. */
  network: number
  prefix: number
}

export function parseIp(text: string, what = 'IPv4 address'): number {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new UsageError(`invalid ${what} "${text}"`)
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

export function isIp(text: string): boolean {
  try {
    parseIp(text)
    return true
  } catch {
    return false
  }
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff - (2 ** (32 - prefix) - 1)) >>> 0
}

/** "10.91.0.0/16"; the address must be the network's own (no host bits), as `ip route` wants. */
export function parseCidr(text: string, what = 'subnet'): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text)
  if (!m || Number(m[2]) > 32) throw new UsageError(`invalid ${what} "${text}": use ADDRESS/PREFIX, e.g. 10.92.0.0/24`)
  const ip = parseIp(m[1]!, what)
  const prefix = Number(m[2])
  const network = (ip & mask(prefix)) >>> 0
  if (network !== ip) throw new UsageError(`invalid ${what} "${text}": it has host bits set (the network is ${formatIp(network)}/${prefix})`)
  return { network, prefix }
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.network)}/${c.prefix}`
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix)
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip < c.network + size(c)
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network < b.network + size(b) && b.network < a.network + size(a)
}

/** Whether ip may be given to a host of c: not the network or broadcast address. */
export function isHostAddress(c: Cidr, ip: number): boolean {
  return contains(c, ip) && (c.prefix >= 31 || (ip !== c.network && ip !== c.network + size(c) - 1))
}

/**
 * A container's MAC from its address, as Docker's: 02:42 (locally
 * administered, unicast) and the four bytes of the IPv4 address. The
 * address is given back when a container goes, and the next one may take
 * it at once: a neighbour entry the host kept for it, or the old eth0 still
 * on the bridge while the kernel frees its namespace, then names the same MAC. On
 * netavark's networks too (it would pick a random one): a peer that
 * talked to the address's last holder keeps its MAC for seconds, and
 * loses the next holder meanwhile (test/network-bridge.test.ts).
 */
export function macOf(ip: string): string {
  return ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':')
}
