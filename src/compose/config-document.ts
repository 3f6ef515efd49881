/**
 * `compose config`: the project as the Compose Specification would write
 * it once loaded: variables substituted, files merged, short syntaxes in
 * their long form, paths absolute, durations in Go's notation; numbers as
 * compose-go's types print them (cpus and pids_limit numbers, sizes a
 * string of bytes) and every `$` doubled, as docker compose escapes its
 * output (docker/compose#8632), so the output loads again as the same
 * project: `compose config | compose -f - config` prints it once more.
 */
import { formatDuration } from '../duration.js'
import { formatRestartPolicy } from '../runtime/container/restart-policy.js'
import { parsePublish } from '../network/port-spec.js'
import { parseSize } from '../runtime/cgroup/cgroup-limits.js'
import { blkioDocument } from './blkio-config.js'
import type { BuildConfig, Project, Service } from './model.js'
import { stringifyYaml } from './vendor.js'

/** The document as YAML, as `docker compose config` prints it. */
export function configYaml(project: Project): string {
  return documentText(configDocument(project), 'yaml')
}

/** The document as JSON (`config --format json`). */
export function configJson(project: Project): string {
  return documentText(configDocument(project), 'json')
}

/** A document of config's as YAML or JSON, its dollars doubled. */
export function documentText(doc: Record<string, unknown>, format: 'yaml' | 'json'): string {
  return escapeDollars(format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : stringifyYaml(doc))
}

/** A `$` of a value is a literal one: doubled, it stays one when the output is loaded again. */
function escapeDollars(text: string): string {
  return text.replaceAll('$', '$$$$')
}

export function configDocument(project: Project): Record<string, unknown> {
  const services: Record<string, unknown> = {}
  for (const name of Object.keys(project.services).sort()) services[name] = serviceDocument(project.services[name]!)
  const networks: Record<string, unknown> = {}
  for (const [key, n] of Object.entries(project.networks)) {
    if (key === 'default' && !Object.values(project.services).some((s) => s.networks.default)) continue
    // compose-go's NetworkConfig and IPAMPool order
    networks[key] = {
      name: n.name,
      ...(n.driverOpts ? { driver_opts: n.driverOpts } : {}),
      ...(n.subnet || n.subnet6 || n.ipamDriver ? { ipam: ipamDocument(n) } : {}),
      ...(n.external ? { external: true } : {}),
      ...(n.internal ? { internal: true } : {}),
      ...(n.attachable ? { attachable: true } : {}),
      ...ownLabels(n.labels),
      ...(n.ipv6 ? { enable_ipv6: true } : {}),
    }
  }
  const volumes: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(project.volumes)) volumes[key] = { name: v.name, ...(v.external ? { external: true } : {}), ...(v.driverOpts ? { driver_opts: v.driverOpts } : {}), ...ownLabels(v.labels) }
  return {
    name: project.name,
    services,
    ...(Object.keys(networks).length ? { networks } : {}),
    ...(Object.keys(volumes).length ? { volumes } : {}),
    // compose-go's FileObjectConfig: a secret's value never printed, a config's inline content printed
    ...(project.secrets ? { secrets: fileObjectDocuments(project.secrets) } : {}),
    ...(project.configs ? { configs: fileObjectDocuments(project.configs) } : {}),
  }
}

/** A network's ipam as compose-go's IPAMConfig prints it: its driver, then its one pool (IPAMPool's order). */
function ipamDocument(n: Project['networks'][string]): Record<string, unknown> {
  const pool = [
    ...(n.subnet ? [{ subnet: n.subnet, ...(n.gateway ? { gateway: n.gateway } : {}), ...(n.ipRange ? { ip_range: n.ipRange } : {}), ...(n.auxAddresses ? { aux_addresses: n.auxAddresses } : {}) }] : []),
    ...(n.subnet6 ? [{ subnet: n.subnet6, ...(n.gateway6 ? { gateway: n.gateway6 } : {}) }] : []),
  ]
  return { ...(n.ipamDriver ? { driver: n.ipamDriver } : {}), ...(pool.length ? { config: pool } : {}) }
}

/** Top-level secrets or configs in compose-go's FileObjectConfig order; a config's content not printed beside its environment (ConfigObjConfig's MarshalYAML). */
function fileObjectDocuments(objects: NonNullable<Project['secrets']>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(objects).map(([key, o]) => [
      key,
      JSON.parse(JSON.stringify({ name: o.name, file: o.file, environment: o.environment, content: o.environment === undefined ? o.content : undefined, external: o.external, driver: o.driver, template_driver: o.templateDriver })),
    ]),
  )
}

/** A service's entries as compose-go's FileReferenceConfig prints them (a mode as octal text). */
function referenceDocuments(refs: Service['secrets']): Record<string, unknown>[] | undefined {
  return refs?.map((r) => ({ source: r.source, target: r.target, uid: r.uid, gid: r.gid, mode: r.mode !== undefined ? `0${r.mode.toString(8)}` : undefined }))
}

/** The labels the file gives (the project's own, which mini-run adds, left out). */
function ownLabels(labels: Record<string, string>): { labels?: Record<string, string> } {
  const own = Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('com.docker.compose.')))
  return Object.keys(own).length ? { labels: own } : {}
}

function serviceDocument(s: Service): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const put = (key: string, value: unknown) => {
    if (value === undefined || value === false) return
    if (Array.isArray(value) && value.length === 0) return
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return
    out[key] = value
  }
  put('annotations', s.annotations)
  put('build', s.build && buildDocument(s.build))
  put('blkio_config', s.blkio && blkioDocument(s.blkio))
  put('cap_add', s.capAdd)
  put('cap_drop', s.capDrop)
  put('command', s.command)
  put('configs', referenceDocuments(s.configs))
  put('container_name', s.containerName)
  put('cgroup', s.cgroup)
  put('cgroup_parent', s.cgroupParent)
  put('cpu_period', s.cpuPeriod !== undefined ? Number(s.cpuPeriod) : undefined)
  put('cpu_quota', s.cpuQuota !== undefined ? Number(s.cpuQuota) : undefined)
  put('cpu_shares', s.cpuShares !== undefined ? Number(s.cpuShares) : undefined)
  put('cpus', s.cpus !== undefined ? Number(s.cpus) : undefined)
  put('cpuset', s.cpuset)
  put('depends_on', Object.fromEntries(Object.entries(s.dependsOn).map(([n, d]) => [n, { condition: d.condition, required: d.required, restart: d.restart }])))
  put('develop', s.develop && { watch: s.develop.watch.map((t) => ({ path: t.path, action: t.action, target: t.target, exec: t.exec && hookDocument(t.exec), include: t.include.length ? t.include : undefined, ignore: t.ignore.length ? t.ignore : undefined, initial_sync: t.initialSync || undefined })) })
  put('device_cgroup_rules', s.deviceCgroupRules)
  put('devices', s.devices)
  put('dns', s.dns)
  put('dns_opt', s.dnsOpt)
  put('dns_search', s.dnsSearch)
  put('domainname', s.domainname)
  put('entrypoint', s.entrypoint)
  put('environment', s.environment)
  put('expose', s.expose)
  put('external_links', s.externalLinks)
  put('extra_hosts', s.extraHosts)
  put('group_add', s.groupAdd)
  put('healthcheck', s.healthcheck && healthDocument(s.healthcheck))
  put('hostname', s.hostname)
  put('image', s.image)
  put('init', s.init)
  put('ipc', s.ipc)
  put('labels', s.labels)
  put('links', s.links?.map((l) => (l.alias === l.service ? l.service : `${l.service}:${l.alias}`)))
  put('logging', s.logDriver !== undefined || s.logOpts.length ? { driver: s.logDriver, options: s.logOpts.length ? Object.fromEntries(s.logOpts.map(splitPair)) : undefined } : undefined)
  put('mac_address', s.macAddress)
  put('mem_limit', bytes(s.memLimit))
  put('mem_reservation', bytes(s.memReservation))
  put('memswap_limit', bytes(s.memswapLimit))
  // compose-go's UnitBytes: a quoted number
  put('mem_swappiness', s.memSwappiness)
  put('network_mode', s.networkMode)
  put('networks', Object.fromEntries(Object.entries(s.networks).map(([k, n]) => [k, n.aliases.length || n.ipv4Address || n.ipv6Address || n.macAddress ? { aliases: n.aliases.length ? n.aliases : undefined, ipv4_address: n.ipv4Address, ipv6_address: n.ipv6Address, mac_address: n.macAddress } : null])))
  put('oom_kill_disable', s.oomKillDisable)
  put('oom_score_adj', s.oomScoreAdj !== undefined ? Number(s.oomScoreAdj) : undefined)
  put('pid', s.pid)
  put('pids_limit', s.pidsLimit !== undefined ? Number(s.pidsLimit) : undefined)
  put('platform', s.platform)
  put('shm_size', bytes(s.shmSize))
  put('ports', s.ports.flatMap(portDocuments))
  put('post_start', s.postStart?.map(hookDocument))
  put('pre_stop', s.preStop?.map(hookDocument))
  put('privileged', s.privileged)
  put('profiles', s.profiles)
  put('pull_policy', s.pullPolicyText)
  put('read_only', s.readOnly)
  put('restart', s.restart.name === 'no' ? undefined : formatRestartPolicy(s.restart))
  put('scale', s.replicas === 1 ? undefined : s.replicas)
  put('secrets', referenceDocuments(s.secrets))
  put('security_opt', s.securityOpt)
  put('stdin_open', s.stdinOpen)
  put('stop_grace_period', s.stopTimeout !== undefined ? formatDuration(s.stopTimeout * 1e9) : undefined)
  put('stop_signal', s.stopSignal)
  put('sysctls', s.sysctls)
  put('tmpfs', s.tmpfs)
  put('tty', s.tty)
  put('ulimits', Object.fromEntries(s.ulimits.map(ulimitDocument)))
  put('user', s.user)
  put('userns_mode', s.userns)
  put('uts', s.uts)
  put('volumes_from', s.volumesFrom.map((v) => `${v.service ?? `container:${v.container}`}${v.readOnly ? ':ro' : ''}`))
  put('volumes', s.volumes.map((v) => ({ type: v.type, source: v.source, target: v.target, read_only: v.readOnly || undefined, ...(v.type === 'bind' && v.createHostPath ? { bind: { create_host_path: true } } : {}), ...(v.nocopy ? { volume: { nocopy: true } } : {}), ...(v.size !== undefined ? { tmpfs: { size: v.size } } : {}) })))
  put('working_dir', s.workingDir)
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown> // undefined fields out
}

/** A hook as compose-go's ServiceHook prints it. */
function hookDocument(h: NonNullable<Service['postStart']>[number]): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ command: h.command, user: h.user, privileged: h.privileged, working_dir: h.workingDir, environment: Object.keys(h.environment).length ? h.environment : undefined }))
}

/** A size as compose-go's UnitBytes prints it: its bytes, as a string; -1 (unlimited swap) as it is. */
function bytes(size: string | undefined): string | undefined {
  if (size === undefined || size === '-1') return size
  return String(parseSize(size, 'size'))
}

function splitPair(text: string): [string, string] {
  const eq = text.indexOf('=')
  return [text.slice(0, eq), text.slice(eq + 1)]
}

/** `nofile=1024:2048` as `nofile: {soft: 1024, hard: 2048}`, `nproc=64` as `nproc: 64`, as compose-go's UlimitsConfig. */
function buildDocument(b: BuildConfig): Record<string, unknown> {
  return {
    context: b.context,
    ...(b.dockerfileInline !== undefined ? { dockerfile_inline: b.dockerfileInline } : { dockerfile: b.dockerfile }),
    additional_contexts: b.additionalContexts,
    cache_from: b.cacheFrom,
    cache_to: b.cacheTo,
    args: b.args,
    target: b.target,
    labels: b.labels,
    network: b.network,
    no_cache: b.noCache || undefined,
    pull: b.pull || undefined,
    tags: b.tags.length ? b.tags : undefined,
    secrets: b.secrets?.map((x) => ({ source: x.source, ...(x.id !== x.source ? { target: x.id } : {}) })),
    extra_hosts: b.extraHosts,
    shm_size: bytes(b.shmSize),
    ulimits: b.ulimits && Object.fromEntries(b.ulimits.map(ulimitDocument)),
    platforms: b.platforms,
  }
}

function ulimitDocument(text: string): [string, unknown] {
  const [name, value] = splitPair(text)
  const [soft, hard] = value.split(':')
  return [name, hard === undefined ? Number(soft) : { soft: Number(soft), hard: Number(hard) }]
}

/**
 * One port as compose-go's ParsePortConfig makes it (docker/go-connections'
 * ParsePortSpec): a range is one entry per port, each `mode: ingress` (the
 * default compose-go gives), keys in the order of its ServicePortConfig.
 */
function portDocuments(spec: string): Record<string, unknown>[] {
  const p = parsePublish(spec)
  return Array.from({ length: p.range }, (_, i) => ({
    mode: 'ingress',
    ...(p.hostIp ? { host_ip: p.hostIp } : {}),
    target: p.containerPort + i,
    // a host range for one container port stays a range: the start takes a free port of it
    ...(p.hostPortEnd !== undefined ? { published: `${p.hostPort}-${p.hostPortEnd}` } : p.hostPort ? { published: String(p.hostPort + i) } : {}),
    protocol: p.protocol,
  }))
}

function healthDocument(h: NonNullable<Service['healthcheck']>): Record<string, unknown> {
  if (h.Test[0] === 'NONE') return { disable: true }
  return {
    ...(h.Test.length ? { test: h.Test } : {}),
    ...(h.Interval ? { interval: formatDuration(h.Interval) } : {}),
    ...(h.Timeout ? { timeout: formatDuration(h.Timeout) } : {}),
    ...(h.StartPeriod ? { start_period: formatDuration(h.StartPeriod) } : {}),
    ...(h.StartInterval ? { start_interval: formatDuration(h.StartInterval) } : {}),
    ...(h.Retries !== undefined ? { retries: h.Retries } : {}),
  }
}
