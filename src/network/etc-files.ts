/**
 * The files a container's resolver reads, written per container and bound
 * over the image's (Docker does the same): /etc/hosts, /etc/resolv.conf
 * and /etc/hostname. Pure: text in, text out.
 */
import { UsageError } from '../errors.js'
import { isIp } from './ipv4.js'

export interface HostEntry {
  name: string
  ip: string
}

/** --add-host NAME:IP (Docker also takes NAME=IP). */
export function parseAddHost(text: string): HostEntry {
  const m = /^([^:=\s]+)[:=](.+)$/.exec(text)
  if (!m || !isIp(m[2]!)) throw new UsageError(`invalid --add-host "${text}": use NAME:IPv4ADDRESS`)
  return { name: m[1]!, ip: m[2]! }
}

export function hostsFile(o: { ip?: string; names: string[]; extra: HostEntry[] }): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback']
  if (o.ip) lines.push(`${o.ip}\t${[...new Set(o.names)].join(' ')}`)
  for (const h of o.extra) lines.push(`${h.ip}\t${h.name}`)
  return lines.join('\n') + '\n'
}

export function resolvConfFile(o: { nameservers: string[]; search: string[]; options: string[] }): string {
  const lines: string[] = []
  if (o.search.length) lines.push(`search ${o.search.join(' ')}`)
  for (const ns of o.nameservers) lines.push(`nameserver ${ns}`)
  if (o.options.length) lines.push(`options ${o.options.join(' ')}`)
  return lines.join('\n') + '\n'
}
