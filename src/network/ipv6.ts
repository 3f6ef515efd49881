/**
 * IPv6 addresses and subnets as 128-bit numbers (pure), for a network's
 * second subnet (network create --ipv6): its IPAM, --ip6's checks, and
 * addresses printed as RFC 5952 has them (lower case, the longest run of
 * zero groups as "::"), the way Go's net.IP and iproute2 print them.
 */
import { isIPv6 } from 'node:net'
import { UsageError } from '../errors.js'

export interface Cidr6 {
  network: bigint
  prefix: number
}

const ALL = (1n << 128n) - 1n

export function isIp6(text: string): boolean {
  return isIPv6(text) && !text.includes('%')
}

export function parseIp6(text: string, what = 'IPv6 address'): bigint {
  if (!isIp6(text)) throw new UsageError(`invalid ${what} "${text}"`)
  let t = text
  // a dotted IPv4 tail (::ffff:1.2.3.4) as its two groups
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(t)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    t = `${t.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = t.includes('::') ? t.split('::') as [string, string] : [t, undefined]
  const h = head ? head.split(':') : []
  const rest = tail === undefined ? [] : tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - rest.length).fill('0'), ...rest]
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n)
}

export function formatIp6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn))
  // the longest run of two or more zero groups, the first of equals
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) [best, bestLen] = [i, j - i]
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

function mask(prefix: number): bigint {
  return prefix === 0 ? 0n : ALL ^ ((1n << BigInt(128 - prefix)) - 1n)
}

/** "fd00:1::/64": the address must be the network's own (no host bits). */
export function parseCidr6(text: string, what = 'subnet'): Cidr6 {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text)
  if (!m || Number(m[2]) > 128) throw new UsageError(`invalid ${what} "${text}": use ADDRESS/PREFIX, e.g. fd00:1::/64`)
  const ip = parseIp6(m[1]!, what)
  const prefix = Number(m[2])
  const network = ip & mask(prefix)
  if (network !== ip) throw new UsageError(`invalid ${what} "${text}": it has host bits set (the network is ${formatIp6(network)}/${prefix})`)
  return { network, prefix }
}

export function formatCidr6(c: Cidr6): string {
  return `${formatIp6(c.network)}/${c.prefix}`
}

export function size6(c: Cidr6): bigint {
  return 1n << BigInt(128 - c.prefix)
}

export function contains6(c: Cidr6, ip: bigint): boolean {
  return ip >= c.network && ip < c.network + size6(c)
}

export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  return a.network < b.network + size6(b) && b.network < a.network + size6(a)
}

/** An address a host of c may have: not the subnet-router anycast one (the network's own, RFC 4291 2.6.1). */
export function isHostAddress6(c: Cidr6, ip: bigint): boolean {
  return contains6(c, ip) && (c.prefix >= 127 || ip !== c.network)
}

/**
 * A unique local /64 (RFC 4193: fd, a random 40-bit global id, subnet 0),
 * for `network create --ipv6` without an IPv6 --subnet, as podman and
 * Docker 27 give one.
 */
export function randomUla(random: (bytes: number) => Buffer): Cidr6 {
  const id = random(5).reduce((n, b) => (n << 8n) | BigInt(b), 0n)
  return { network: ((0xfdn << 40n) | id) << 80n, prefix: 64 }
}
