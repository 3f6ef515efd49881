/**
 * Docker's -p/--publish, --expose and -P/--publish-all as port mappings (pure), in
 * the shape netavark takes them (`port_mappings`), and back again as the
 * text of `ps` and `port`.
 */
import { UsageError } from '../errors.js'
import { isIp } from './ipv4.js'

export type Protocol = 'tcp' | 'udp'

export interface PortMapping {
  /** The host address it is published on; "" for every address (0.0.0.0). */
  hostIp: string
  /** The first host port; 0 until one is picked (no host port given). */
  hostPort: number
  containerPort: number
  protocol: Protocol
  /** How many consecutive ports, from hostPort and containerPort on. */
  range: number
  /**
   * A host range for one container port (-p 8000-8010:80): the last host
   * port of it. The start takes the first free one from hostPort on, as
   * Docker's port allocator does; a lease holds the port it took, without this.
   */
  hostPortEnd?: number
}

function port(text: string, spec: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UsageError(`invalid -p "${spec}": "${text}" is not a port (1-65535)`)
  }
  return Number(text)
}

/** "8000" or "8000-8010": first port and count. */
function portRange(text: string, spec: string): [number, number] {
  const [first, last] = text.split('-') as [string, string | undefined]
  const start = port(first, spec)
  if (last === undefined) return [start, 1]
  const end = port(last, spec)
  if (end < start) throw new UsageError(`invalid -p "${spec}": the range ${text} ends before it starts`)
  return [start, end - start + 1]
}

/** One -p value: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], ports or ranges. */
export function parsePublish(spec: string): PortMapping {
  if (spec.includes('[')) throw new UsageError(`invalid -p "${spec}": IPv6 addresses are not supported (mini-run's networks are IPv4)`)
  const slash = spec.lastIndexOf('/')
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1).toLowerCase()
  if (proto !== 'tcp' && proto !== 'udp') throw new UsageError(`invalid -p "${spec}": the protocol must be tcp or udp, not "${proto}"`)
  const parts = (slash < 0 ? spec : spec.slice(0, slash)).split(':')
  if (parts.length > 3 || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1))) {
    throw new UsageError(`invalid -p "${spec}": use [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]`)
  }
  const [ip, host, container] = parts.length === 3 ? parts : parts.length === 2 ? ['', parts[0]!, parts[1]!] : ['', '', parts[0]!]
  if (ip !== '' && !isIp(ip!)) throw new UsageError(`invalid -p "${spec}": "${ip}" is not an IPv4 address`)
  const [containerPort, count] = portRange(container!, spec)
  let hostPort = 0
  let hostPortEnd: number | undefined
  if (host !== '') {
    const [first, hostCount] = portRange(host!, spec)
    // Docker's nat.ParsePortSpec: a host range for one container port is where a free one is picked
    if (count === 1 && hostCount > 1) hostPortEnd = first + hostCount - 1
    else if (hostCount !== count) throw new UsageError(`invalid -p "${spec}": the host and container ranges differ in length`)
    hostPort = first
  }
  if (containerPort + count - 1 > 65535 || hostPort + count - 1 > 65535) throw new UsageError(`invalid -p "${spec}": the range passes port 65535`)
  return { hostIp: ip === '0.0.0.0' ? '' : ip!, hostPort, containerPort, protocol: proto, range: count, ...(hostPortEnd !== undefined ? { hostPortEnd } : {}) }
}

/**
 * One --expose value, as Docker's CLI reads it (opts/parse.go):
 * PORT[-END][/PROTOCOL], tcp by default. Each port of a range is a key of
 * its own ("7000/udp", "7001/udp"...), as Docker records them in
 * Config.ExposedPorts.
 */
export function parseExpose(value: string): string[] {
  if (value.includes(':')) throw new UsageError(`invalid port format for --expose: ${value}`)
  const [ports = '', proto, ...more] = value.split('/')
  const protocol = (proto || 'tcp').toLowerCase()
  if (more.length > 0 || !['tcp', 'udp', 'sctp'].includes(protocol)) throw new UsageError(`invalid --expose ${value}: the protocol must be tcp, udp or sctp`)
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(ports)
  const start = Number(m?.[1])
  const end = m?.[2] === undefined ? start : Number(m[2])
  if (!m || start < 1 || end > 65535 || end < start) {
    throw new UsageError(`invalid range format for --expose: ${value}, error: not a port (1-65535) or a range of them (7000-7010)`)
  }
  const keys: string[] = []
  for (let p = start; p <= end; p++) keys.push(`${p}/${protocol}`)
  return keys
}

/** An ExposedPorts key ("80/tcp", "80", "8000-8010/udp"), one key a port: the image's ranges as Docker would have recorded them. */
export function singlePortKeys(key: string): string[] {
  try {
    return parseExpose(key)
  } catch {
    return [key]
  }
}

/** The container's exposed ports: the image's EXPOSE keys, then those of --expose the image does not expose already. */
export function exposedKeys(image: Record<string, unknown> | undefined | null, expose: readonly string[] = []): string[] {
  const keys = Object.keys(image ?? {})
  const covered = new Set(keys.flatMap(singlePortKeys))
  for (const key of expose) {
    if (covered.has(key)) continue
    covered.add(key)
    keys.push(key)
  }
  return keys
}

/** -P: every exposed port ("80/tcp", "53/udp", "8000-8010/tcp": exposedKeys), on a free host port. */
export function exposedPorts(keys: readonly string[]): PortMapping[] {
  return keys.map((key) => {
    if (key.endsWith('/sctp')) throw new UsageError(`-P: port ${key} cannot be published: mini-run publishes tcp and udp ports`)
    const m = parsePublish(key.includes('/') ? key : `${key}/tcp`)
    return { ...m, hostIp: '', hostPort: 0 }
  })
}

function span(first: number, range: number): string {
  return range > 1 ? `${first}-${first + range - 1}` : String(first)
}

function formatWith(ports: readonly PortMapping[], host: (p: PortMapping) => string): string {
  return ports.map((p) => `${p.hostIp || '0.0.0.0'}:${host(p)}->${span(p.containerPort, p.range)}/${p.protocol}`).join(', ')
}

/** Docker's PORTS column: "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp". */
export function formatPorts(ports: readonly PortMapping[]): string {
  return formatWith(ports, (p) => span(p.hostPort, p.range))
}

/**
 * Ports as a start will publish them (--explain), before its lease took
 * the host ports: "<free>" where none was given, "<first free of
 * 8000-8002>" for a host range of one container port (-p 8000-8002:80).
 */
export function formatPlannedPorts(ports: readonly PortMapping[]): string {
  return formatWith(ports, (p) => (p.hostPortEnd !== undefined ? `<first free of ${p.hostPort}-${p.hostPortEnd}>` : p.hostPort === 0 ? '<free>' : span(p.hostPort, p.range)))
}

/** `docker port`: one line per container port, "80/tcp -> 0.0.0.0:8080". */
export function portLines(ports: readonly PortMapping[]): string[] {
  const lines: string[] = []
  for (const p of ports) {
    for (let i = 0; i < p.range; i++) lines.push(`${p.containerPort + i}/${p.protocol} -> ${p.hostIp || '0.0.0.0'}:${p.hostPort + i}`)
  }
  return lines
}
