/**
 * `ps --filter publish=` and `expose=` as Docker's daemon reads them
 * (daemon/list.go, portOp): `<port>[/<proto>]` or `<start>-<end>[/<proto>]`,
 * tcp when no protocol is given. publish names a host port, expose a port
 * of the container, published or only exposed (the image's EXPOSE). Docker
 * looks at the ports of its list entry, which a stopped container has none
 * of, as `ps` shows: only a running one with a network of its own matches.
 */
import { UsageError } from '../../errors.js'
import type { NetworkRecord } from '../../network/attach.js'

/** One port, as Docker's nat.Port spells it: "80/tcp". */
type PortKey = string

/** A filter value, or an ExposedPorts key (the same syntax): the ports it names; undefined if it is not one. */
function portRange(text: string): PortKey[] | undefined {
  const slash = text.indexOf('/')
  const proto = slash < 0 || slash === text.length - 1 ? 'tcp' : text.slice(slash + 1)
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(slash < 0 ? text : text.slice(0, slash))
  if (!m) return undefined
  const start = Number(m[1])
  const end = m[2] === undefined ? start : Number(m[2])
  if (end > 65535 || end < start) return undefined
  const keys: PortKey[] = []
  for (let p = start; p <= end; p++) keys.push(`${p}/${proto}`)
  return keys
}

/** A `publish=` or `expose=` value, checked: the ports it names. */
export function parsePortFilter(key: 'publish' | 'expose', value: string): PortKey[] {
  // Docker's own words for an address or a -p mapping given here
  if (value.includes(':')) throw new UsageError(`filter for '${key}' should not contain ':': ${value}`)
  const keys = portRange(value)
  if (!keys) throw new UsageError(`invalid filter '${key}=${value}': a port or a range, with a protocol or not (80, 8000-8010/udp)`)
  return keys
}

/** The ports a container holds now: published on the host, and its own (published or exposed). */
export function containerPorts(c: { status: string; network?: NetworkRecord }): { published: Set<PortKey>; own: Set<PortKey> } {
  const published = new Set<PortKey>()
  const own = new Set<PortKey>()
  const record = c.status === 'running' ? c.network : undefined
  for (const p of record?.ports ?? []) {
    for (let i = 0; i < p.range; i++) {
      published.add(`${p.hostPort + i}/${p.protocol}`)
      own.add(`${p.containerPort + i}/${p.protocol}`)
    }
  }
  for (const key of record?.exposed ?? []) for (const k of portRange(key) ?? []) own.add(k)
  return { published, own }
}

/**
 * Docker's Config.ExposedPorts: every port of the container, exposed (the
 * image's EXPOSE, --expose) or published (-p), one key a port ("80/tcp"),
 * sorted as Go's encoding/json sorts a map's keys.
 */
export function configExposedPorts(network: Pick<NetworkRecord, 'ports' | 'exposed'> | undefined): string[] {
  const keys = new Set<PortKey>()
  for (const key of network?.exposed ?? []) for (const k of portRange(key) ?? [key]) keys.add(k)
  for (const p of network?.ports ?? []) for (let i = 0; i < p.range; i++) keys.add(`${p.containerPort + i}/${p.protocol}`)
  return [...keys].sort()
}
