/**
 * One service of a validated compose file as the model's Service: every
 * key the Compose Specification allows either means something here or is
 * refused, by its path, as not supported (never silently dropped: a
 * `privileged: true` ignored would run something other than what was
 * asked for).
 */
import { resolve } from 'node:path'
import type { At } from './compose-error.js'
import type { Lookup } from './interpolate.js'
import type { BuildConfig, Dependency, FileObject, Service, ServiceNetwork } from './model.js'
import { serviceFileReferences } from './file-objects.js'
import { buildOf } from './build-config.js'
import { extraHosts, ulimitsOf } from './service-values.js'
import { envFiles, labelFiles } from './key-value-files.js'
import { linksOf, withLinks } from './links.js'
import { hooksOf } from './hooks.js'
import { blkioOf } from './blkio-config.js'
import { developOf } from './develop.js'
import { checkServiceValues } from './service-checks.js'
import { cpus, deployOf, duration, healthcheckOf, restartOf, size } from './service-policies.js'
import { exposedPorts, servicePorts } from './syntax-ports.js'
import { serviceVolumes, serviceVolumesFrom } from './syntax-volumes.js'
import { bool, command, int, isMap, listOrDict, str, strings, type Raw } from './values.js'

/** Keys that mean nothing to a single-host runtime without a daemon, and change nothing it runs. */
const IGNORED = new Set(['attach'])

const SUPPORTED = new Set([
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'networks',
  'network_mode', 'depends_on', 'healthcheck', 'restart', 'user', 'working_dir', 'hostname', 'container_name', 'init',
  'read_only', 'tmpfs', 'cap_add', 'cap_drop', 'mem_limit', 'memswap_limit', 'cpus', 'cpu_shares', 'pids_limit', 'deploy',
  'stop_signal', 'stop_grace_period', 'labels', 'profiles', 'scale', 'dns', 'dns_search', 'dns_opt', 'extra_hosts',
  'group_add', 'mac_address', 'ulimits', 'logging', 'pid', 'ipc', 'uts', 'tty', 'stdin_open', 'security_opt', 'platform',
  'pull_policy', 'cgroup_parent', 'userns_mode', 'privileged', 'devices', 'device_cgroup_rules', 'volumes_from',
  'shm_size', 'domainname', 'sysctls', 'cpuset', 'cpu_period', 'cpu_quota', 'mem_reservation',
  'oom_score_adj', 'secrets', 'configs', 'label_file', 'cgroup', 'links', 'external_links', 'post_start', 'pre_stop', 'blkio_config', 'mem_swappiness', 'oom_kill_disable',
  'develop', 'annotations',
])

export interface ServiceContext {
  projectName: string
  /** Between the project's name and the service's in an image compose names (`p-web`; `_` under --compatibility). */
  separator: '-' | '_'
  projectDir: string
  /** The interpolation environment (the caller's, then .env): env_file and KEY-only entries read it. */
  lookup: Lookup
  volumes: ReadonlySet<string>
  networks: ReadonlySet<string>
  /** The top-level secrets and configs, by key. */
  secrets: Readonly<Record<string, FileObject>>
  configs: Readonly<Record<string, FileObject>>
  warnings: string[]
  /** Its values checked against this host too (service-checks.ts): for the verbs that make containers. */
  onHost?: boolean
  /** env_file not read (load.ts skipEnvFiles). */
  skipEnvFiles?: boolean
}

export function normalizeService(name: string, s: Raw, at: At, ctx: ServiceContext): Service {
  for (const key of Object.keys(s)) {
    if (key.startsWith('x-') || IGNORED.has(key)) continue
    if (!SUPPORTED.has(key)) throw at.at(key).error('not supported by mini-run')
  }
  const build = s.build === undefined ? undefined : buildOf(s.build, at.at('build'), ctx, s.image !== undefined && s.image !== null && s.image !== '', name)
  if (s.image === undefined && !build) throw at.error('neither an image nor a build context is given')
  const image = s.image !== undefined ? str(s.image, at.at('image')) : ctx.projectName + ctx.separator + name
  const deploy = deployOf(s.deploy, at.at('deploy'), ctx.warnings)
  const networkMode = s.network_mode === undefined ? undefined : networkModeOf(s.network_mode, at.at('network_mode'))
  if (networkMode && s.networks !== undefined) throw at.at('network_mode').error('network_mode and networks cannot be combined')
  const replicas = s.scale !== undefined ? int(s.scale, at.at('scale')) : deploy.replicas ?? 1
  if (s.container_name !== undefined && replicas > 1) throw at.at('container_name').error(`a container name is for one container, and ${replicas} are asked for`)
  const stopGrace = s.stop_grace_period === undefined ? undefined : duration(s.stop_grace_period, at.at('stop_grace_period'))
  const opt = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value })
  const text = (key: string) => (s[key] === undefined || s[key] === null ? undefined : str(s[key], at.at(key)))
  const service: Service = {
    name,
    image,
    ...opt('build', build),
    ...pullPolicyOf(s.pull_policy, at.at('pull_policy')),
    ...opt('platform', text('platform')),
    ...opt('command', command(s.command, at.at('command'))),
    ...opt('entrypoint', command(s.entrypoint, at.at('entrypoint'))),
    // env_file's variables go under these in completeService
    environment: listOrDict(s.environment, at.at('environment'), ctx.lookup),
    ports: servicePorts(s.ports, at.at('ports')),
    expose: exposedPorts(s.expose, at.at('expose')),
    volumes: serviceVolumes(s.volumes, at.at('volumes'), ctx.projectDir, ctx.volumes),
    ...opt('secrets', serviceFileReferences('secret', s.secrets, at.at('secrets'), ctx.secrets, name)),
    ...opt('configs', serviceFileReferences('config', s.configs, at.at('configs'), ctx.configs, name)),
    volumesFrom: serviceVolumesFrom(s.volumes_from, at.at('volumes_from')),
    tmpfs: strings(s.tmpfs, at.at('tmpfs')),
    networks: networkMode ? {} : serviceNetworks(s.networks, at.at('networks'), ctx.networks),
    ...opt('networkMode', networkMode),
    dependsOn: withLinks(withSharedServices(dependsOn(s.depends_on, at.at('depends_on')), [networkMode, text('pid'), text('ipc')]), linksOf(s.links, at.at('links'))),
    ...opt('links', linksOf(s.links, at.at('links'))),
    // run's --link CONTAINER[:ALIAS] of a container outside the project, as docker compose's getLinks passes them
    ...(s.external_links !== undefined && opt('externalLinks', strings(s.external_links, at.at('external_links')))),
    ...opt('healthcheck', s.healthcheck === undefined ? undefined : healthcheckOf(s.healthcheck, at.at('healthcheck'))),
    restart: s.restart !== undefined ? restartOf(s.restart, at.at('restart')) : deploy.restart ?? { name: 'no', maximumRetryCount: 0 },
    replicas,
    ...opt('user', text('user')),
    ...opt('workingDir', text('working_dir')),
    ...opt('hostname', text('hostname')),
    ...opt('domainname', text('domainname') || undefined),
    ...opt('sysctls', serviceSysctls(s.sysctls, at.at('sysctls'))),
    ...opt('containerName', text('container_name')),
    init: s.init === undefined ? false : bool(s.init, at.at('init')),
    readOnly: s.read_only === undefined ? false : bool(s.read_only, at.at('read_only')),
    tty: s.tty === undefined ? false : bool(s.tty, at.at('tty')),
    stdinOpen: s.stdin_open === undefined ? false : bool(s.stdin_open, at.at('stdin_open')),
    capAdd: strings(s.cap_add, at.at('cap_add')),
    capDrop: strings(s.cap_drop, at.at('cap_drop')),
    securityOpt: strings(s.security_opt, at.at('security_opt')),
    privileged: s.privileged === undefined ? false : bool(s.privileged, at.at('privileged')),
    devices: strings(s.devices, at.at('devices')),
    deviceCgroupRules: strings(s.device_cgroup_rules, at.at('device_cgroup_rules')),
    groupAdd: strings(s.group_add, at.at('group_add')),
    ...opt('memLimit', size(s.mem_limit, at.at('mem_limit')) ?? deploy.memory),
    ...opt('memswapLimit', size(s.memswap_limit, at.at('memswap_limit'), true)),
    ...opt('cpus', s.cpus !== undefined ? cpus(s.cpus, at.at('cpus')) : deploy.cpus),
    ...opt('cpuShares', s.cpu_shares === undefined ? undefined : String(int(s.cpu_shares, at.at('cpu_shares')))),
    ...opt('cpuset', text('cpuset')),
    ...opt('blkio', blkioOf(s.blkio_config, at.at('blkio_config'))),
    ...opt('memSwappiness', memSwappiness(s.mem_swappiness, at.at('mem_swappiness'))),
    ...opt('oomKillDisable', s.oom_kill_disable === undefined ? undefined : bool(s.oom_kill_disable, at.at('oom_kill_disable'))),
    ...opt('cpuPeriod', s.cpu_period === undefined ? undefined : String(int(s.cpu_period, at.at('cpu_period')))),
    ...opt('cpuQuota', s.cpu_quota === undefined ? undefined : String(int(s.cpu_quota, at.at('cpu_quota'), -1))),
    // docker compose sets deploy's reservation after mem_reservation: it wins
    ...opt('memReservation', deploy.memoryReservation ?? size(s.mem_reservation, at.at('mem_reservation'))),
    ...opt('shmSize', size(s.shm_size, at.at('shm_size'))),
    // the schema bounds it to the kernel's -1000..1000
    ...opt('oomScoreAdj', s.oom_score_adj !== undefined ? String(int(s.oom_score_adj, at.at('oom_score_adj'), -1000)) : undefined),
    ...opt('pidsLimit', s.pids_limit !== undefined ? String(int(s.pids_limit, at.at('pids_limit'), -1)) : deploy.pids),
    ulimits: ulimitsOf(s.ulimits, at.at('ulimits')),
    ...opt('logDriver', isMap(s.logging) && s.logging.driver !== undefined ? str(s.logging.driver, at.at('logging', 'driver')) : undefined),
    logOpts: loggingOf(s.logging, at.at('logging')),
    dns: strings(s.dns, at.at('dns')),
    dnsSearch: strings(s.dns_search, at.at('dns_search')),
    dnsOpt: strings(s.dns_opt, at.at('dns_opt')),
    extraHosts: extraHosts(s.extra_hosts, at.at('extra_hosts')),
    ...opt('macAddress', text('mac_address')),
    ...opt('pid', text('pid')),
    ...opt('ipc', text('ipc')),
    ...opt('uts', text('uts')),
    ...opt('cgroupParent', text('cgroup_parent')),
    // the schema allows host and private: run's --cgroupns
    ...opt('cgroup', text('cgroup') as Service['cgroup']),
    ...opt('userns', text('userns_mode')),
    ...opt('stopSignal', text('stop_signal')),
    ...opt('stopTimeout', stopGrace === undefined ? undefined : Math.ceil(stopGrace / 1e9)),
    // label_file's labels go under these in completeService
    labels: listOrDict(s.labels, at.at('labels')),
    ...opt('annotations', nonEmpty(s.annotations === undefined || s.annotations === null ? {} : listOrDict(s.annotations, at.at('annotations'), () => ''))),
    profiles: strings(s.profiles, at.at('profiles')),
    ...opt('postStart', hooksOf(s.post_start, at.at('post_start'))),
    ...opt('preStop', hooksOf(s.pre_stop, at.at('pre_stop'))),
    ...opt('develop', developOf(s.develop, at.at('develop'), ctx.projectDir)),
  }
  checkServiceValues(service, s, at, false)
  return service
}

/**
 * What only a service the command acts on needs, as compose-go resolves it
 * only for the enabled and selected services: its env_file's variables
 * under its environment, its label_file's labels under its labels
 * (compose-go's WithServicesLabelsResolved), and with onHost its values
 * checked against this host.
 */
export function completeService(service: Service, s: Raw, at: At, ctx: ServiceContext): void {
  if (!ctx.skipEnvFiles) service.environment = { ...envFiles(s.env_file, at.at('env_file'), ctx), ...service.environment }
  service.labels = { ...labelFiles(s.label_file, at.at('label_file'), ctx), ...service.labels }
  if (ctx.onHost === true) checkServiceValues(service, s, at, true)
}


/** mem_swappiness: 0 is none, as Docker Compose sends none for it (create.go); a swappiness of 0 cannot be asked for there either. */
function memSwappiness(v: unknown, at: At): string | undefined {
  if (v === undefined || v === null) return undefined
  const n = int(v, at, -1)
  return n === 0 ? undefined : String(n)
}

const PULL_UNITS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 }
const PULL_PART = '(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h|d|w)'

/**
 * pull_policy, as compose-go's GetPullPolicy reads it: daily, weekly and
 * every_<duration> (every_12h, every_1w2d) pull again once the image's
 * last pull is that old; refresh and if_not_present are missing.
 */
function pullPolicyOf(v: unknown, at: At): Pick<Service, 'pullPolicy' | 'pullRefresh' | 'pullPolicyText'> {
  if (v === undefined || v === null) return { pullPolicy: 'missing' }
  const text = str(v, at)
  if (text === 'if_not_present' || text === 'missing') return { pullPolicy: 'missing', pullPolicyText: 'missing' }
  if (text === 'refresh') return { pullPolicy: 'missing', pullPolicyText: text }
  if (text === 'always' || text === 'never' || text === 'build') return { pullPolicy: text, pullPolicyText: text }
  const every = text === 'daily' ? '1d' : text === 'weekly' ? '1w' : text.startsWith('every_') ? text.slice(6) : undefined
  // str2duration's syntax: Go's durations (1h0.5m, 500ms) with days and weeks
  if (every !== undefined && new RegExp(`^(${PULL_PART})+$`).test(every)) {
    let ms = 0
    for (const [, n, unit] of every.matchAll(new RegExp(PULL_PART, 'g'))) ms += Number(n) * PULL_UNITS[unit!]!
    return { pullPolicy: 'refresh', pullRefresh: { ms }, pullPolicyText: text }
  }
  throw at.error(`"${text}": always, never, missing, build, daily, weekly or every_<duration> (every_12h, every_1w2d)`)
}

function networkModeOf(v: unknown, at: At): Service['networkMode'] {
  const text = str(v, at)
  if (text === 'none' || text === 'host' || text === 'bridge') return text
  const shared = /^(service|container):(.+)$/.exec(text)
  if (shared) return text as `service:${string}` | `container:${string}`
  throw at.error(`"${text}" is not supported by mini-run (none, host, bridge, service:NAME, container:NAME)`)
}

/**
 * network_mode, pid or ipc: service:db needs db's container running first,
 * and restarts with it (a new container has new namespaces): an implied
 * depends_on with restart: true, as compose-go adds.
 */
function withSharedServices(deps: Record<string, Dependency>, modes: (string | undefined)[]): Record<string, Dependency> {
  const out = { ...deps }
  for (const mode of modes) {
    const service = mode?.startsWith('service:') ? mode.slice('service:'.length) : undefined
    if (service !== undefined && !out[service]) out[service] = { condition: 'service_started', required: true, restart: true }
  }
  return out
}

function serviceNetworks(v: unknown, at: At, declared: ReadonlySet<string>): Record<string, ServiceNetwork> {
  if (v === undefined || v === null) return { default: { aliases: [] } }
  const out: Record<string, ServiceNetwork> = {}
  const check = (key: string, here: At) => {
    if (!declared.has(key)) throw here.error(`refers to undefined network ${key}: declare it under the top-level networks`)
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const key = str(item, at.at(i))
      check(key, at.at(i))
      out[key] = { aliases: [] }
    })
    return out
  }
  for (const [key, value] of Object.entries(v as Raw)) {
    const here = at.at(key)
    check(key, here)
    const n: Raw = isMap(value) ? value : {}
    for (const k of Object.keys(n)) {
      if (!['aliases', 'ipv4_address', 'ipv6_address', 'mac_address', 'priority'].includes(k) && !k.startsWith('x-')) throw here.at(k).error('not supported by mini-run')
    }
    out[key] = {
      aliases: strings(n.aliases, here.at('aliases')),
      ...(n.ipv4_address !== undefined ? { ipv4Address: str(n.ipv4_address, here.at('ipv4_address')) } : {}),
      ...(n.ipv6_address !== undefined ? { ipv6Address: str(n.ipv6_address, here.at('ipv6_address')) } : {}),
      ...(n.mac_address !== undefined ? { macAddress: str(n.mac_address, here.at('mac_address')) } : {}),
    }
  }
  return out
}

function dependsOn(v: unknown, at: At): Record<string, Dependency> {
  const out: Record<string, Dependency> = {}
  if (v === undefined || v === null) return out
  if (Array.isArray(v)) {
    v.forEach((item, i) => (out[str(item, at.at(i))] = { condition: 'service_started', required: true, restart: false }))
    return out
  }
  for (const [name, value] of Object.entries(v as Raw)) {
    const d = (value ?? {}) as Raw
    const here = at.at(name)
    out[name] = {
      condition: d.condition === undefined ? 'service_started' : (str(d.condition, here.at('condition')) as Dependency['condition']),
      required: d.required === undefined ? true : bool(d.required, here.at('required')),
      restart: d.restart === undefined ? false : bool(d.restart, here.at('restart')),
    }
  }
  return out
}

function loggingOf(v: unknown, at: At): string[] {
  if (!isMap(v)) return []
  const driver = v.driver === undefined ? 'json-file' : str(v.driver, at.at('driver'))
  if (driver !== 'json-file' && driver !== 'local') throw at.at('driver').error(`the ${driver} log driver is not supported by mini-run (json-file)`)
  const options = isMap(v.options) ? v.options : {}
  return Object.entries(options).map(([key, value]) => `${key}=${str(value, at.at('options', key))}`)
}

/** sysctls: a mapping or KEY=VALUE list; a key without a value is an error (run's --sysctl needs one), none at all is as if absent (the config hash). */
function serviceSysctls(v: unknown, at: At): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined
  const items = Array.isArray(v) ? v.map((item, i) => [i, typeof item !== 'string' || item.includes('=')] as const) : isMap(v) ? Object.entries(v).map(([k, value]) => [k, value !== null] as const) : []
  for (const [key, hasValue] of items) if (!hasValue) throw at.at(key).error('a kernel parameter needs a value: KEY=VALUE, or KEY: VALUE')
  return nonEmpty(listOrDict(v, at))
}

/** A mapping, or undefined when it has no key: as if absent (the config hash). */
function nonEmpty(map: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(map).length ? map : undefined
}
