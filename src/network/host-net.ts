/**
 * What the host's network stack says (as seen from the network namespace
 * mini-run runs in): its routes, its listening sockets, its resolvers.
 * The parsers are pure; the readers read /proc and /etc.
 */
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { contains, formatIp, parseCidr, parseIp, type Cidr } from './ipv4.js'
import type { Protocol } from './port-spec.js'

export interface HostRoute {
  dev: string
  dest: Cidr
  /** The next hop, when the route has one (a default route's gateway). */
  gateway?: number
}

/** /proc/net/route: addresses are hex in the kernel's (little-endian) byte order. */
export function parseRoutes(text: string): HostRoute[] {
  const routes: HostRoute[] = []
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!) || !/^[0-9A-Fa-f]{8}$/.test(f[7]!)) continue
    const dest = Buffer.from(f[1]!, 'hex').readUInt32LE(0)
    const mask = Buffer.from(f[7]!, 'hex').readUInt32LE(0)
    const prefix = mask.toString(2).replace(/0/g, '').length
    const gateway = /^[0-9A-Fa-f]{8}$/.test(f[2]!) ? Buffer.from(f[2]!, 'hex').readUInt32LE(0) : 0
    routes.push({ dev: f[0]!, dest: { network: dest, prefix }, ...(gateway !== 0 && { gateway }) })
  }
  return routes
}

/**
 * What pasta gives a container (passt(1): it copies the host's): the
 * address of the interface the default route leaves by, and that route's
 * gateway, which pasta maps to the host itself. Undefined parts the host
 * lacks.
 */
export function pastaView(routes: HostRoute[] = hostRoutes(), interfaces = networkInterfaces()): { address?: string; gateway?: string } {
  const route = routes.find((r) => r.dest.prefix === 0)
  if (!route) return {}
  const address = interfaces[route.dev]?.find((a) => a.family === 'IPv4' && !a.internal)?.address
  return { ...(address && { address }), ...(route.gateway !== undefined && { gateway: formatIp(route.gateway) }) }
}

/** The lowest port an unprivileged process may bind (this network namespace's; 1024 when unreadable). */
export function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim())
  } catch {
    return 1024
  }
}

export function hostRoutes(): HostRoute[] {
  try {
    return parseRoutes(readFileSync('/proc/net/route', 'utf8'))
  } catch {
    return []
  }
}

export interface Listener {
  protocol: Protocol
  /** "" for a wildcard socket (0.0.0.0 or ::). */
  ip: string
  port: number
}

/** /proc/net/{tcp,udp}{,6}: TCP sockets in LISTEN (0A), UDP sockets bound (07). */
export function parseSockets(text: string, protocol: Protocol): Listener[] {
  const out: Listener[] = []
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    const [addr, portHex] = (f[1] ?? '').split(':')
    if (!addr || !portHex) continue
    if (f[3] !== (protocol === 'tcp' ? '0A' : '07')) continue
    let ip: string | undefined
    if (addr.length === 8) {
      const n = Buffer.from(addr, 'hex').readUInt32LE(0)
      ip = n === 0 ? '' : formatIp(n)
    } else if (/^0+$/.test(addr)) {
      ip = '' // [::]: a dual-stack socket takes IPv4 too
    } else if (/^0{16}FFFF0000[0-9A-F]{8}$/i.test(addr)) {
      ip = formatIp(Buffer.from(addr.slice(24), 'hex').readUInt32LE(0))
    }
    if (ip !== undefined) out.push({ protocol, ip, port: parseInt(portHex, 16) })
  }
  return out
}

/**
 * The host's own addresses, as the kernel's local routing table has them
 * (/proc/net/fib_trie, this network namespace's): each "host LOCAL" leaf,
 * with its prefix (127.0.0.0/8 is one). A port published on another
 * address could never be reached: Docker's bind fails there.
 */
export function parseLocalAddresses(text: string): Cidr[] {
  const out: Cidr[] = []
  let ip: string | undefined
  for (const line of text.split('\n')) {
    const leaf = /^\s*\|-- (\d+\.\d+\.\d+\.\d+)$/.exec(line)
    if (leaf) ip = leaf[1]
    const kind = /^\s*\/(\d+) host LOCAL$/.exec(line)
    if (kind && ip !== undefined) out.push(parseCidr(`${ip}/${kind[1]}`))
  }
  return out
}

/** Whether ip is one of this host's own addresses (in this network namespace). */
export function isLocalAddress(ip: string, text: string = readFileSync('/proc/net/fib_trie', 'utf8')): boolean {
  return parseLocalAddresses(text).some((c) => contains(c, parseIp(ip)))
}

/**
 * Whether a socket may bind ip here, as Docker's bind would find: one of
 * the host's addresses, or any with net.ipv4.ip_nonlocal_bind; true when
 * the kernel's tables cannot be read (the bind would tell, not this).
 */
export function mayBindAddress(ip: string): boolean {
  try {
    if (readFileSync('/proc/sys/net/ipv4/ip_nonlocal_bind', 'utf8').trim() === '1') return true
    return isLocalAddress(ip)
  } catch {
    return true
  }
}

export function hostListeners(): Listener[] {
  const out: Listener[] = []
  for (const protocol of ['tcp', 'udp'] as const) {
    for (const file of [protocol, `${protocol}6`]) {
      try {
        out.push(...parseSockets(readFileSync(`/proc/net/${file}`, 'utf8'), protocol))
      } catch {
        // no IPv6 on this host
      }
    }
  }
  return out
}

export interface ResolvConf {
  nameservers: string[]
  search: string[]
  options: string[]
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] }
  for (const line of text.split('\n')) {
    const [key, ...values] = line.replace(/[#;].*/, '').trim().split(/\s+/)
    if (key === 'nameserver' && values[0]) conf.nameservers.push(values[0])
    else if (key === 'search' || key === 'domain') conf.search = values
    else if (key === 'options') conf.options.push(...values)
  }
  return conf
}

/**
 * The host's resolvers. Where /etc/resolv.conf names only systemd-resolved's
 * stub (127.0.0.53), its upstream servers, from the file resolved keeps for
 * that (systemd-resolved.service(8)), as Docker does: a container cannot
 * reach the host's loopback, and without them the default bridge needs a
 * DNS server of its own (aardvark-dns) to forward there.
 */
export function hostResolvConf(files = { etc: '/etc/resolv.conf', resolved: '/run/systemd/resolve/resolv.conf' }): ResolvConf {
  const read = (file: string) => {
    try {
      return parseResolvConf(readFileSync(file, 'utf8'))
    } catch {
      return undefined
    }
  }
  const etc = read(files.etc) ?? { nameservers: [], search: [], options: [] }
  if (etc.nameservers.length === 0 || !etc.nameservers.every(isLoopbackResolver)) return etc
  const upstream = read(files.resolved)
  return upstream && upstream.nameservers.some((ns) => !isLoopbackResolver(ns)) ? { ...upstream, nameservers: upstream.nameservers.filter((ns) => !isLoopbackResolver(ns)) } : etc
}

/**
 * A nameserver only the host itself can reach: 127.0.0.53 (systemd-resolved),
 * ::1, a dnsmasq on 127.0.1.1. From a container's namespace those addresses
 * are its own loopback, where nothing answers.
 */
export function isLoopbackResolver(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1'
}
