/**
 * Values a service and its build section both have (extra_hosts,
 * ulimits), read as compose-go reads them.
 */
import { parseAddHost } from '../network/etc-files.js'
import type { At } from './compose-error.js'
import { int, isMap, str, strings } from './values.js'

/**
 * extra_hosts as compose-go's HostsList reads it: HOST=IP or HOST:IP (`=`
 * looked for first, so `h6=::1` and `h6:::1` are both ::1), several
 * addresses after a comma, IPv6 ones bracketed or not. Each is checked
 * here, as compose-go refuses one without an address when it loads the
 * file, not when the container is made: after the networks, which would
 * be left behind.
 */
export function extraHosts(v: unknown, at: At): string[] {
  const entries = isMap(v)
    ? Object.entries(v).flatMap(([host, ips]) => (Array.isArray(ips) ? ips : [ips]).map((ip, i) => ({ host, ips: str(ip, at.at(host, i)), at: at.at(host, i) })))
    : strings(v, at).map((entry, i) => {
        const sep = entry.includes('=') ? '=' : ':'
        const cut = entry.indexOf(sep)
        if (cut < 0) throw at.at(i).error(`invalid additional host, missing IP: ${entry}`)
        return { host: entry.slice(0, cut), ips: entry.slice(cut + 1), at: at.at(i) }
      })
  return entries.flatMap((e) =>
    e.ips.split(',').map((ip) => {
      const entry = `${e.host}:${ip}`
      try {
        parseAddHost(entry)
      } catch (err) {
        throw e.at.error(`invalid additional host "${e.host}": "${ip}" is not an IP address (IPv4, IPv6) or host-gateway`, err)
      }
      return entry
    }),
  )
}

export function ulimitsOf(v: unknown, at: At): string[] {
  if (!isMap(v)) return []
  return Object.entries(v).map(([name, value]) => {
    if (isMap(value)) return `${name}=${int(value.soft, at.at(name, 'soft'), -1)}:${int(value.hard, at.at(name, 'hard'), -1)}`
    return `${name}=${int(value, at.at(name), -1)}`
  })
}
