/**
 * Docker's legacy links (`run --link NAME[:ALIAS]`): the container reaches
 * another, running one by ALIAS, its name and its hostname, through lines
 * of its /etc/hosts; on the default bridge, which has no DNS of its own,
 * it may also get Docker's variables that say where the other listens
 * (DB_PORT_5432_TCP_ADDR...) and what environment it has (DB_ENV_...),
 * which Docker 29 sets only when asked (keepLinkEnv).
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

/** A container name's characters (Docker's validContainerNamePattern): an alias is a word of /etc/hosts. */
const ALIAS = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/** NAME[:ALIAS], ALIAS NAME when none; "/NAME:/PARENT/ALIAS" as inspect shows a link is taken too (opts.ParseLink). */
export function parseLink(value: string): LinkRef {
  if (value === '') throw new UsageError('invalid argument "" for "--link" flag: empty string specified for links')
  const parts = value.split(':')
  if (parts.length > 2) throw new UsageError(`invalid argument "${value}" for "--link" flag: bad format for links: ${value}`)
  const [first, second] = parts as [string, string | undefined]
  // a leading / is a container's full name (/db), as Docker's daemon takes it
  const name = first.startsWith('/') ? first.slice(1) : first
  const alias = second === undefined ? name : first.startsWith('/') ? second.slice(second.lastIndexOf('/') + 1) : second
  if (!ALIAS.test(alias)) throw new UsageError(`invalid alias name "${alias}" in --link ${value}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`)
  return { name, alias }
}

/**
 * Whether the links are Docker's legacy ones (the default bridge, or none):
 * each names a container that must exist when this one is made and run at
 * each start. On a network of the user's, Docker's link is a name its DNS
 * gives this container alone, which needs neither (mini-run writes the
 * /etc/hosts line of a linked container that runs there, and else none).
 */
export function legacyLinks(network: { mode: string; attachments: readonly { network: { builtin?: boolean } }[] }): boolean {
  return network.mode === 'none' || (network.mode === 'bridge' && network.attachments[0]?.network.builtin === true)
}

/** inspect's HostConfig.Links: "/NAME:/PARENT/ALIAS" of legacy links, as Docker shows them; null without any (a user network's are its endpoint's). */
export function inspectLinks(network: Parameters<typeof legacyLinks>[0] & { links?: LinkRef[] } | undefined, ownName: string): string[] | null {
  return network?.links?.length && legacyLinks(network) ? network.links.map((l) => `/${l.name}:/${ownName}/${l.alias}`) : null
}

/** Docker 29 sets the link variables only when its daemon runs with this set (moby#50719); mini-run reads its own environment. */
export function keepLinkEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS === '1'
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
