/**
 * POST /containers/create's body (the Engine API's ContainerConfig with its
 * HostConfig and NetworkingConfig) as `mini-run create`'s command line: the
 * same flags `docker create` turns into that body, turned back. A field
 * left at its zero value (null, "", 0, false, [] or {}, as clients send
 * every field) means nothing; one mini-run cannot take is refused by name,
 * rather than a container made without it.
 */
import { ApiError, shellQuote } from './cli-call.js'

type Json = Record<string, unknown>

/** A value a client sends for "not set". */
export function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true
  if (Array.isArray(v)) return v.length === 0
  if (typeof v === 'object') return Object.values(v as Json).every(isZero)
  return false
}

const strings = (v: unknown, field: string): string[] => {
  if (isZero(v)) return []
  if (typeof v === 'string') return [v]
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new ApiError(400, `${field}: a list of strings is expected`)
  return v as string[]
}
const entries = (v: unknown, field: string): [string, unknown][] => {
  if (v === null || v === undefined) return []
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, `${field}: an object is expected`)
  return Object.entries(v as Json)
}
/** Nanoseconds as a Go duration mini-run's flags read: "1500ms". */
const duration = (ns: unknown): string => `${Math.round(Number(ns) / 1e6)}ms`

type Mapper = (value: unknown, field: string) => string[]
const flag = (name: string): Mapper => (v) => [name, String(v)]
const each = (name: string): Mapper => (v, field) => strings(v, field).flatMap((s) => [name, s])
const bool = (name: string): Mapper => () => [name]
const keyValues = (name: string, sep = '='): Mapper => (v, field) => entries(v, field).flatMap(([k, val]) => [name, `${k}${sep}${String(val)}`])

/** Config's fields: the image, command and entrypoint are handled apart. */
const CONFIG: Record<string, Mapper> = {
  Hostname: flag('--hostname'),
  Domainname: flag('--domainname'),
  User: flag('--user'),
  // a bare KEY: the client had no such variable (docker/cli sends it so); mini-run's --env KEY would take the service's
  Env: (v, field) => strings(v, field).filter((e) => e.includes('=')).flatMap((e) => ['--env', e]),
  WorkingDir: flag('--workdir'),
  Labels: keyValues('--label'),
  Tty: bool('--tty'),
  OpenStdin: bool('--interactive'),
  StopSignal: flag('--stop-signal'),
  StopTimeout: flag('--stop-timeout'),
  MacAddress: flag('--mac-address'),
  ExposedPorts: (v, field) => entries(v, field).flatMap(([port]) => ['--expose', port]),
  Volumes: (v, field) => entries(v, field).flatMap(([target]) => ['--volume', target]),
  NetworkDisabled: () => [],
  Healthcheck: healthFlags,
  // what the client attaches is the attach request's business, not the container's
  AttachStdin: () => [],
  AttachStdout: () => [],
  AttachStderr: () => [],
  StdinOnce: () => [],
  ArgsEscaped: () => [],
  Image: () => [],
  Cmd: () => [],
  Entrypoint: () => [],
  HostConfig: () => [],
  NetworkingConfig: () => [],
}

const HOST_CONFIG: Record<string, Mapper> = {
  Binds: each('--volume'),
  PortBindings: portFlags,
  PublishAllPorts: bool('--publish-all'),
  NetworkMode: () => [],
  AutoRemove: bool('--rm'),
  RestartPolicy: (v) => {
    const p = v as { Name?: string; MaximumRetryCount?: number }
    if (!p.Name || p.Name === 'no') return []
    return ['--restart', p.Name === 'on-failure' && p.MaximumRetryCount ? `on-failure:${p.MaximumRetryCount}` : p.Name]
  },
  Privileged: bool('--privileged'),
  CapAdd: each('--cap-add'),
  CapDrop: each('--cap-drop'),
  ReadonlyRootfs: bool('--read-only'),
  Tmpfs: (v, field) => entries(v, field).flatMap(([target, opts]) => ['--tmpfs', opts ? `${target}:${String(opts)}` : target]),
  Mounts: mountFlags,
  Dns: each('--dns'),
  DnsSearch: each('--dns-search'),
  DnsOptions: each('--dns-option'),
  ExtraHosts: each('--add-host'),
  Init: bool('--init'),
  Memory: flag('--memory'),
  MemoryReservation: flag('--memory-reservation'),
  MemorySwap: flag('--memory-swap'),
  NanoCpus: (v) => ['--cpus', String(Number(v) / 1e9)],
  CpuShares: flag('--cpu-shares'),
  CpuPeriod: flag('--cpu-period'),
  CpuQuota: flag('--cpu-quota'),
  CpusetCpus: flag('--cpuset-cpus'),
  CpusetMems: flag('--cpuset-mems'),
  PidsLimit: flag('--pids-limit'),
  ShmSize: flag('--shm-size'),
  OomScoreAdj: flag('--oom-score-adj'),
  Ulimits: (v) => (v as { Name: string; Soft: number; Hard: number }[]).flatMap((u) => ['--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`]),
  SecurityOpt: each('--security-opt'),
  IpcMode: flag('--ipc'),
  PidMode: flag('--pid'),
  UTSMode: flag('--uts'),
  UsernsMode: flag('--userns'),
  CgroupnsMode: flag('--cgroupns'),
  CgroupParent: flag('--cgroup-parent'),
  GroupAdd: each('--group-add'),
  Devices: (v) =>
    (v as { PathOnHost: string; PathInContainer?: string; CgroupPermissions?: string }[]).flatMap((d) => [
      '--device',
      [d.PathOnHost, d.PathInContainer || d.PathOnHost, d.CgroupPermissions || 'rwm'].join(':'),
    ]),
  Sysctls: keyValues('--sysctl'),
  VolumesFrom: each('--volumes-from'),
  Links: each('--link'),
  LogConfig: (v) => {
    const c = v as { Type?: string; Config?: Record<string, string> }
    return [...(c.Type ? ['--log-driver', c.Type] : []), ...Object.entries(c.Config ?? {}).flatMap(([k, val]) => ['--log-opt', `${k}=${val}`])]
  },
  // runc is the runtime mini-run is: a client naming it asks for nothing else
  Runtime: (v) => {
    if (v === 'runc' || v === 'mini-run') return []
    throw new ApiError(400, `HostConfig.Runtime: mini-run is its own runtime, not ${String(v)}`)
  },
  ConsoleSize: () => [],
}

function healthFlags(v: unknown): string[] {
  const h = v as { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number; StartInterval?: number }
  const out: string[] = []
  const [kind, ...rest] = h.Test ?? []
  if (kind === 'NONE') return ['--no-healthcheck']
  if (kind === 'CMD-SHELL') out.push('--health-cmd', rest.join(' '))
  // mini-run runs --health-cmd with sh -c: the exec form's words, quoted, are the same command
  else if (kind === 'CMD') out.push('--health-cmd', rest.map(shellQuote).join(' '))
  else if (kind !== undefined) throw new ApiError(400, `Healthcheck.Test: ${kind} is not NONE, CMD or CMD-SHELL`)
  if (h.Interval) out.push('--health-interval', duration(h.Interval))
  if (h.Timeout) out.push('--health-timeout', duration(h.Timeout))
  if (h.Retries) out.push('--health-retries', String(h.Retries))
  if (h.StartPeriod) out.push('--health-start-period', duration(h.StartPeriod))
  if (h.StartInterval) out.push('--health-start-interval', duration(h.StartInterval))
  return out
}

function portFlags(v: unknown, field: string): string[] {
  return entries(v, field).flatMap(([port, bindings]) => {
    const list = isZero(bindings) ? [{}] : (bindings as { HostIp?: string; HostPort?: string }[])
    return list.flatMap((b) => {
      const ip = b.HostIp ? (b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp) : ''
      const host = ip ? `${ip}:${b.HostPort ?? ''}:` : b.HostPort ? `${b.HostPort}:` : ''
      return ['--publish', `${host}${port}`]
    })
  })
}

/** A value that goes into a KEY=VALUE,... option (--mount, --network): a comma or = in it would add keys. */
function field(value: unknown, name: string): string {
  const text = String(value)
  if (/[,=]/.test(text)) throw new ApiError(400, `${name}: "${text}" has a comma or =, which mini-run's option could not keep apart`)
  return text
}

function mountFlags(v: unknown): string[] {
  return (v as Json[]).flatMap((m, i) => {
    const parts = [`type=${field(m.Type, `HostConfig.Mounts[${i}].Type`)}`]
    if (m.Source) parts.push(`source=${field(m.Source, `HostConfig.Mounts[${i}].Source`)}`)
    parts.push(`target=${field(m.Target, `HostConfig.Mounts[${i}].Target`)}`)
    if (m.ReadOnly) parts.push('readonly')
    const volume = m.VolumeOptions as { NoCopy?: boolean } | undefined
    if (volume?.NoCopy) parts.push('volume-nocopy')
    const tmpfs = m.TmpfsOptions as { SizeBytes?: number; Mode?: number } | undefined
    if (tmpfs?.SizeBytes) parts.push(`tmpfs-size=${tmpfs.SizeBytes}`)
    if (tmpfs?.Mode) parts.push(`tmpfs-mode=${tmpfs.Mode.toString(8)}`)
    const bind = m.BindOptions as { Propagation?: string } | undefined
    if (bind?.Propagation) parts.push(`bind-propagation=${bind.Propagation}`)
    return ['--mount', parts.join(',')]
  })
}

/** Fields docker/cli sets when no flag was given: -1 is its "unset" for swappiness. */
const UNSET: Record<string, unknown> = { MemorySwappiness: -1 }

/** Fields that are maps of the user's keys: {"/data": {}} is a volume, not an empty struct. */
const MAPS = new Set(['Volumes', 'ExposedPorts', 'PortBindings', 'Labels', 'Tmpfs', 'Sysctls'])

function mapFields(object: Json, table: Record<string, Mapper>, prefix: string): string[] {
  const out: string[] = []
  for (const [key, value] of Object.entries(object)) {
    const zero = MAPS.has(key) ? value === null || value === undefined || (typeof value === 'object' && Object.keys(value).length === 0) : isZero(value)
    if (zero || UNSET[key] === value) continue
    const map = table[key]
    if (!map) throw new ApiError(400, `${prefix}${key}: mini-run's API does not take this field`)
    out.push(...map(value, `${prefix}${key}`))
  }
  return out
}

/** An endpoint's fields mini-run takes; what an inspect shows (NetworkID, IPAddress...) a client may send back empty. */
const ENDPOINT_FIELDS = new Set(['Aliases', 'IPAMConfig', 'MacAddress'])

function networkingFlags(v: unknown): string[] {
  const endpoints = entries((v as Json | undefined)?.EndpointsConfig, 'NetworkingConfig.EndpointsConfig')
  return endpoints.flatMap(([name, e]) => {
    const where = `NetworkingConfig.EndpointsConfig.${name}`
    const ep = (e ?? {}) as Json & { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null; MacAddress?: string }
    for (const [key, value] of Object.entries(ep)) {
      if (!ENDPOINT_FIELDS.has(key) && !isZero(value)) throw new ApiError(400, `${where}.${key}: mini-run's API does not take this field`)
    }
    const opts = [`name=${field(name, where)}`, ...strings(ep.Aliases, `${where}.Aliases`).map((a) => `alias=${field(a, `${where}.Aliases`)}`)]
    if (ep.IPAMConfig?.IPv4Address) opts.push(`ip=${field(ep.IPAMConfig.IPv4Address, `${where}.IPAMConfig.IPv4Address`)}`)
    if (ep.IPAMConfig?.IPv6Address) opts.push(`ip6=${field(ep.IPAMConfig.IPv6Address, `${where}.IPAMConfig.IPv6Address`)}`)
    if (ep.MacAddress) opts.push(`mac-address=${field(ep.MacAddress, `${where}.MacAddress`)}`)
    return opts.length === 1 ? [] : ['--network', opts.join(',')]
  })
}

/**
 * Config.Volumes without the paths HostConfig mounts something on: a client
 * (docker-compose 1.x) names every volume's path there too, and Docker makes
 * an anonymous volume only where nothing else is mounted.
 */
function anonymousVolumes(volumes: unknown, host: Json): unknown {
  if (volumes === null || typeof volumes !== 'object') return volumes
  const mounted = new Set([
    ...strings(host.Binds, 'HostConfig.Binds').map((b) => {
      const parts = b.split(':')
      return parts.length >= 2 ? parts[1]! : parts[0]!
    }),
    ...((host.Mounts ?? []) as { Target?: string }[]).map((m) => m.Target),
    ...Object.keys((host.Tmpfs ?? {}) as Json),
  ])
  return Object.fromEntries(Object.entries(volumes as Json).filter(([target]) => !mounted.has(target)))
}

/**
 * `create`'s arguments for a body. The container is made with --pull never,
 * as the daemon's create never pulls: a missing image is a 404, which a
 * client answers with POST /images/create and tries again.
 */
export function createArgs(body: Json, query: { name?: string; platform?: string }): string[] {
  if (typeof body.Image !== 'string' || body.Image === '') throw new ApiError(400, 'Config.Image: an image is required')
  const args = ['create', '--pull', 'never', ...(query.name ? ['--name', query.name] : []), ...(query.platform ? ['--platform', query.platform] : [])]
  const host = (body.HostConfig ?? {}) as Json
  args.push(...mapFields({ ...body, Volumes: anonymousVolumes(body.Volumes, host) }, CONFIG, 'Config.'))
  args.push(...mapFields(host, HOST_CONFIG, 'HostConfig.'))
  // the network: EndpointsConfig's, with its aliases and addresses (the one NetworkMode names, in API 1.41), else NetworkMode's
  const endpoints = networkingFlags(body.NetworkingConfig)
  const mode = host.NetworkMode
  if (endpoints.length) args.push(...endpoints)
  else if (body.NetworkDisabled === true) args.push('--network', 'none')
  else if (typeof mode === 'string' && mode !== '' && mode !== 'default') args.push('--network', mode)
  const entrypoint = body.Entrypoint === null || body.Entrypoint === undefined ? undefined : strings(body.Entrypoint, 'Config.Entrypoint')
  const cmd = strings(body.Cmd, 'Config.Cmd')
  // Entrypoint [] (not null) clears the image's, as `--entrypoint ""` does
  if (entrypoint !== undefined) args.push('--entrypoint', entrypoint[0] ?? '')
  args.push('--', body.Image, ...(entrypoint?.slice(1) ?? []), ...cmd)
  return args
}

/** POST /containers/ID/update's body (the Engine API's UpdateConfig): the resources `update` changes, and the restart policy. */
const UPDATE: Record<string, Mapper> = {
  // the resources as create reads them
  ...Object.fromEntries(
    ['Memory', 'MemoryReservation', 'MemorySwap', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit'].map((k) => [k, HOST_CONFIG[k]!]),
  ),
  BlkioWeight: flag('--blkio-weight'),
  // "" leaves the policy; "no" sets it back to none (create's mapper reads no as nothing to set)
  RestartPolicy: (v) => {
    const p = v as { Name?: string; MaximumRetryCount?: number }
    if (!p.Name) return []
    return ['--restart', p.Name === 'on-failure' && p.MaximumRetryCount ? `on-failure:${p.MaximumRetryCount}` : p.Name]
  },
}

/** `update`'s flags for a body; none when it changes nothing. */
export function updateFlags(body: Json): string[] {
  const policy = body.RestartPolicy
  if (policy !== undefined && policy !== null && (typeof policy !== 'object' || Array.isArray(policy))) throw new ApiError(400, 'RestartPolicy: an object is expected')
  const p = (policy ?? {}) as { Name?: string; MaximumRetryCount?: number }
  // moby's validation of a policy
  if (p.MaximumRetryCount && p.Name && p.Name !== 'on-failure') throw new ApiError(400, `maximum retry count cannot be used with restart policy '${p.Name}'`)
  // a PidsLimit of 0 is sent only when given (a pointer in docker/cli), and moby reads 0 or less as unlimited
  const pids = body.PidsLimit === 0 ? ['--pids-limit', '-1'] : []
  return [...mapFields(body, UPDATE, ''), ...pids]
}
