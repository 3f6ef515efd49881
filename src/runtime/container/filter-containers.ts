/**
 * `ps --filter` as Docker's daemon reads it (daemon/list.go): `key=value`
 * pairs; values of one key are alternatives, different keys must all
 * match. `id` and `name` are unanchored regular expressions (Docker's
 * filters.Args.Match), the name with its leading "/"; `status` is exact;
 * `label` is `KEY` or `KEY=VALUE`; `ancestor` an image by name or id;
 * `exited` an exit code; `before`/`since` a container created before or
 * after the one named; `volume` a volume's name, a bind's host path or
 * the destination of one of the user's mounts (user-mounts.ts);
 * `health` starting, healthy, unhealthy or none (no health check);
 * `publish`/`expose` ports (filter-ports.ts); `is-task` a swarm task,
 * which no container here is; `isolation` is Windows' alone: Docker on
 * Linux takes any value and leaves every container in (list_unix.go).
 */
import { UsageError } from '../../errors.js'
import { familiarRepository, parseReference } from '../../image/reference.js'
import type { ContainerInfo } from './containers.js'
import { containerPorts, parsePortFilter } from './filter-ports.js'
import { userMounts } from './user-mounts.js'

export type ContainerFilters = Map<string, string[]>

const KEYS = ['id', 'name', 'status', 'label', 'ancestor', 'exited', 'before', 'since', 'volume', 'network', 'health', 'isolation', 'is-task', 'publish', 'expose']
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']
const HEALTHS = ['starting', 'healthy', 'unhealthy', 'none']

/** `--filter key=value` flags, checked. */
export function parseFilters(flags: string[]): ContainerFilters {
  const filters: ContainerFilters = new Map()
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value)`)
    const key = flag.slice(0, eq).toLowerCase()
    const value = flag.slice(eq + 1)
    if (!KEYS.includes(key)) throw new UsageError(`invalid filter '${key}'`)
    if (key === 'status' && !STATUSES.includes(value)) {
      throw new UsageError(`invalid filter 'status=${value}': must be one of ${STATUSES.join(', ')}`)
    }
    if (key === 'exited' && !/^-?\d+$/.test(value)) throw new UsageError(`invalid filter 'exited=${value}'`)
    // Docker's words (daemon/list.go)
    if (key === 'health' && !HEALTHS.includes(value)) throw new UsageError(`Unrecognised filter value for health: ${value}`)
    if (key === 'is-task' && value !== 'true' && value !== 'false') throw new UsageError(`invalid filter 'is-task=${value}'`)
    if (key === 'publish' || key === 'expose') parsePortFilter(key, value)
    filters.set(key, [...(filters.get(key) ?? []), value])
  }
  return filters
}

/** Docker's State.Status of a container: running, paused, restarting, removing, created, exited. */
export function dockerStatus(c: ContainerInfo): string {
  if (c.status === 'running' && c.paused) return 'paused'
  if (c.status !== 'running' && c.restarting) return 'restarting'
  if (c.status !== 'running' && c.removing) return 'removing'
  return c.status
}

function regexMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text)
  } catch {
    throw new UsageError(`invalid filter value ${JSON.stringify(pattern)}: not a regular expression`)
  }
}

/** The image, as the names a user may give it (alpine, alpine:latest, docker.io/library/alpine:latest, an id prefix). */
function ancestorMatches(c: ContainerInfo, wanted: string): boolean {
  if (c.imageId && /^(sha256:)?[0-9a-f]{4,64}$/.test(wanted)) {
    const hex = wanted.replace(/^sha256:/, '')
    if (c.imageId.replace(/^sha256:/, '').startsWith(hex)) return true
  }
  if (!c.image) return false
  try {
    const have = parseReference(c.image)
    const want = parseReference(wanted)
    if (have.repository !== want.repository) return false
    // "alpine" names every tag of it, as in Docker
    return !/:[^/]*$/.test(wanted) || have.tag === want.tag
  } catch {
    return c.image === wanted || familiarRepository(c.image) === wanted
  }
}

/**
 * Docker's NetworkMode: container:<id> of the container whose network it
 * joins, the network it joined first (bridge, or a network's
 * name), pasta, host or none (a network namespace of its own with only lo).
 * hostNetwork says host or none without the spec (state-config.ts); a state
 * from before it has its spec in state.json. A container never started has
 * no network record: the networks its start would join (plannedNetworks).
 */
export function networkMode(c: NetworkFields): string {
  if (c.networkContainer) return `container:${c.networkContainer}`
  const joined = c.network ?? plannedNetwork(c)
  if (joined) return joined.mode === 'pasta' ? 'pasta' : (joined.networks[0] ?? 'bridge')
  const host = c.hostNetwork ?? (c.spec !== undefined && !c.spec.linux.namespaces.some((ns) => ns.type === 'network'))
  return host ? 'host' : 'none'
}

/** The networks it joins, by name (ps's Networks column, --filter network=). */
export function networkNames(c: NetworkFields): string[] {
  // none of its own: Docker's NetworkSettings.Networks is empty, and so is ps's column
  if (c.networkContainer) return []
  const joined = c.network ?? plannedNetwork(c)
  return joined?.mode === 'bridge' ? joined.networks : [networkMode(c)]
}

type NetworkFields = Pick<ContainerInfo, 'spec' | 'network' | 'hostNetwork' | 'plannedNetworks' | 'networkContainer'> & Partial<Pick<ContainerInfo, 'status'>>

/** A created container's networks, as recorded in state.json (config.json is not read: ps reads none). */
function plannedNetwork(c: NetworkFields): { mode: 'bridge' | 'pasta'; networks: string[] } | undefined {
  return c.status === 'created' ? c.plannedNetworks : undefined
}

/** The containers that pass every filter. `all` holds every container, for before/since. */
export function filterContainers(list: ContainerInfo[], filters: ContainerFilters, all: ContainerInfo[] = list): ContainerInfo[] {
  const find = (ref: string): ContainerInfo => {
    const c = all.find((x) => x.id === ref || x.name === ref) ?? all.filter((x) => x.id.startsWith(ref)).at(0)
    if (!c) throw new UsageError(`no such container: ${ref}`)
    return c
  }
  const before = filters.get('before')?.map(find)
  const since = filters.get('since')?.map(find)
  const any = (key: string, test: (value: string) => boolean) => {
    const values = filters.get(key)
    return values === undefined || values.some(test)
  }
  // labels narrow: each one given must be there (Docker's MatchKVList), as docker-compose 1.x's one-off filter needs
  const every = (key: string, test: (value: string) => boolean) => filters.get(key)?.every(test) ?? true
  const published = new Set(filters.get('publish')?.flatMap((v) => parsePortFilter('publish', v)))
  const exposed = new Set(filters.get('expose')?.flatMap((v) => parsePortFilter('expose', v)))
  // Docker keeps a container that has one port of either: the two together widen, not narrow
  const portsMatch = (c: ContainerInfo) => {
    if (published.size === 0 && exposed.size === 0) return true
    const ports = containerPorts(c)
    return [...ports.published].some((p) => published.has(p)) || [...ports.own].some((p) => exposed.has(p))
  }
  return list.filter(
    (c) =>
      any('id', (v) => regexMatch(v, c.id)) &&
      any('name', (v) => regexMatch(v, `/${c.name}`)) &&
      any('status', (v) => v === dockerStatus(c)) &&
      every('label', (v) => {
        const eq = v.indexOf('=')
        const labels = c.labels ?? {}
        return eq < 0 ? Object.hasOwn(labels, v) : labels[v.slice(0, eq)] === v.slice(eq + 1)
      }) &&
      any('ancestor', (v) => ancestorMatches(c, v)) &&
      any('exited', (v) => c.status === 'exited' && c.exitCode === Number(v)) &&
      any('volume', (v) => userMounts(c).some((m) => m.destination === v || (m.name ?? m.source) === v)) &&
      any('network', (v) => networkNames(c).includes(v)) &&
      any('health', (v) => v === (c.health?.Status ?? 'none')) &&
      // no swarm: a container is never a task (Docker: "true" among the values wins)
      !filters.get('is-task')?.includes('true') &&
      portsMatch(c) &&
      (before === undefined || before.every((b) => c.created < b.created)) &&
      (since === undefined || since.every((s) => c.created > s.created)),
  )
}
