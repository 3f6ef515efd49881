/**
 * The files a container's resolver reads, written per container and bound
 * over the image's (Docker does the same): /etc/hosts, /etc/resolv.conf
 * and /etc/hostname. Pure: text in, text out.
 */
import { isIP } from 'node:net'
import { UsageError } from '../errors.js'

export interface HostEntry {
  name: string
  ip: string
}

/** The address Docker puts for --add-host NAME:host-gateway: the host's, as the container reaches it. */
export const HOST_GATEWAY = 'host-gateway'

/**
 * --add-host NAME:IP or NAME=IP, as Docker's: IPv4 or IPv6, bracketed or not
 * (h6:::1, h6=[::1]), or host-gateway (resolveHostGateway fills it in).
 */
export function parseAddHost(text: string): HostEntry {
  const m = /^([^:=\s]+)[:=](.+)$/.exec(text)
  const ip = m?.[2]!.replace(/^\[(.*)\]$/, '$1')
  if (!m || !ip || (ip !== HOST_GATEWAY && !isIP(ip))) throw new UsageError(`invalid --add-host "${text}": use NAME:IP (IPv4 or IPv6) or NAME:host-gateway`)
  return { name: m[1]!, ip }
}

/** host-gateway entries, given the address (the container's gateway; Docker: the default bridge's). */
export function resolveHostGateway(entries: HostEntry[], gateway: () => string): HostEntry[] {
  return entries.map((h) => (h.ip === HOST_GATEWAY ? { ...h, ip: gateway() } : h))
}

/** Docker's (libnetwork etchosts) default lines, which every container's /etc/hosts starts with. */
const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters',
]

/**
 * The names on the container's own line of /etc/hosts: its hostname, and
 * the first label of a dotted one, as Docker's (libnetwork sandbox,
 * makeHostsRecs). Not the container's name, on any network: a user
 * network's DNS server answers that, and on the default bridge nothing
 * does, as in Docker.
 */
export function hostsNamesOf(hostname: string, domainname?: string): string[] {
  // --domainname: the full name first, then the hostname, as libnetwork writes the container's line
  if (domainname) return [`${hostname}.${domainname}`, hostname]
  const dot = hostname.indexOf('.')
  return dot > 0 ? [hostname, hostname.slice(0, dot)] : [hostname]
}

/**
 * In Docker's order: the default lines, --add-host's, then the container's
 * own address (libnetwork writes the file with the first two and adds the
 * endpoint's line when it joins).
 */
export function hostsFile(o: { ip?: string; ip6?: string; names: string[]; extra: HostEntry[] }): string {
  const lines = [...DEFAULT_HOSTS]
  for (const h of o.extra) lines.push(`${h.ip}\t${h.name}`)
  if (o.ip) lines.push(`${o.ip}\t${[...new Set(o.names)].join(' ')}`)
  // Docker's, on a network with IPv6: the name on that address too
  if (o.ip6) lines.push(`${o.ip6}\t${[...new Set(o.names)].join(' ')}`)
  return lines.join('\n') + '\n'
}

export function resolvConfFile(o: { nameservers: string[]; search: string[]; options: string[] }): string {
  const lines: string[] = []
  if (o.search.length) lines.push(`search ${o.search.join(' ')}`)
  for (const ns of o.nameservers) lines.push(`nameserver ${ns}`)
  if (o.options.length) lines.push(`options ${o.options.join(' ')}`)
  return lines.join('\n') + '\n'
}
