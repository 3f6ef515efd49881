/**
 * Docker's legacy links (`run --link NAME[:ALIAS]`): the container reaches
 * another, running one by ALIAS, its name and its hostname, through lines
 * of its /etc/hosts; on the default bridge, which has no DNS of its own,
 * it also gets Docker's variables that say where the other listens
 * (DB_PORT_5432_TCP_ADDR...) and what environment it has (DB_ENV_...).
 * The words and variables are Docker's (opts.ParseLink, daemon/links).
 * This file holds what needs no container's state; the lookups are
 * runtime/container/container-links.ts's.
 */
import { UsageError } from '../errors.js'

/** A link as the network plan records it; id: the linked container's, found when the container is made. */
export interface LinkRef {
  name: string
  alias: string
  id?: string
}

/** Docker's validContainerNamePattern, which an alias must match too. */
const ALIAS = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/** NAME[:ALIAS], ALIAS NAME when none; "/NAME:/PARENT/ALIAS" as inspect shows a link is taken too (opts.ParseLink). */
export function parseLink(value: string): LinkRef {
  if (value === '') throw new UsageError('invalid argument "" for "--link" flag: empty string specified for links')
  const parts = value.split(':')
  if (parts.length > 2) throw new UsageError(`invalid argument "${value}" for "--link" flag: bad format for links: ${value}`)
  const [first, second] = parts as [string, string | undefined]
  const name = first.startsWith('/') && second !== undefined ? first.slice(1) : first
  const alias = second === undefined ? first : first.startsWith('/') ? second.slice(second.lastIndexOf('/') + 1) : second
  if (!ALIAS.test(alias)) throw new UsageError(`invalid alias name "${alias}" in --link ${value}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`)
  return { name, alias }
}

/** inspect's HostConfig.Links: "/NAME:/PARENT/ALIAS", as Docker shows them; null without any. */
export function inspectLinks(network: { links?: LinkRef[] } | undefined, ownName: string): string[] | null {
  return network?.links?.length ? network.links.map((l) => `/${l.name}:/${ownName}/${l.alias}`) : null
}

/** A line of the linking container's /etc/hosts: the alias, the other's hostname, and its name unless that is the alias (Docker's buildSandboxOptions). */
export function linkHostNames(alias: string, hostname: string, name: string): string {
  return [alias, hostname, ...(name !== alias ? [name] : [])].join(' ')
}

interface Port {
  num: number
  proto: string
}

/** TCP first, then by number (Docker's withTCPPriority). */
function byTcpFirst(a: Port, b: Port): number {
  if (a.proto === b.proto) return a.num - b.num
  if (a.proto === 'tcp') return -1
  if (b.proto === 'tcp') return 1
  return a.proto < b.proto ? -1 : 1
}

/**
 * Docker's link variables (daemon/links ToEnv): `linkName` is
 * "/PARENT/ALIAS", `exposed` the other's Config.ExposedPorts keys
 * ("5432/tcp"), `env` its Config.Env. A run of consecutive ports also gets
 * _START and _END variables.
 */
export function linkEnv(linkName: string, childIp: string, env: readonly string[], exposed: readonly string[]): string[] {
  const alias = linkName.slice(linkName.lastIndexOf('/') + 1).toUpperCase().replaceAll('-', '_')
  const ports = exposed.map((key): Port => {
    const [num, proto] = key.split('/') as [string, string | undefined]
    return { num: Number(num), proto: proto ?? 'tcp' }
  }).sort(byTcpFirst)
  const out: string[] = []
  const url = (p: Port) => `${p.proto}://${childIp}:${p.num}`
  let start = ports[0]!
  let end = ports[0]!
  ports.forEach((p, i) => {
    if (i === 0) out.push(`${alias}_PORT=${url(p)}`)
    const prefix = `${alias}_PORT_${p.num}_${p.proto.toUpperCase()}`
    out.push(`${prefix}=${url(p)}`, `${prefix}_ADDR=${childIp}`, `${prefix}_PORT=${p.num}`, `${prefix}_PROTO=${p.proto}`)
    if (p.num === end.num + 1 && p.proto === end.proto) {
      end = p
      if (i < ports.length - 1) return
    }
    if (end !== start) {
      const first = `${alias}_PORT_${start.num}_${start.proto.toUpperCase()}`
      out.push(`${first}_START=${url(start)}`, `${first}_PORT_START=${start.num}`, `${first}_END=${url(end)}`, `${first}_PORT_END=${end.num}`)
    }
    start = end = p
  })
  out.push(`${alias}_NAME=${linkName}`)
  for (const e of env) {
    const eq = e.indexOf('=')
    if (eq < 0) continue
    const name = e.slice(0, eq)
    // added by builds, not the other container's own (Docker leaves them out)
    if (name === 'HOME' || name === 'PATH') continue
    out.push(`${alias}_ENV_${name}=${e.slice(eq + 1)}`)
  }
  return out
}
