/**
 * `compose config`: the project as the Compose Specification would write
 * it once loaded: variables substituted, files merged, short syntaxes in
 * their long form, paths absolute, durations in Go's notation.
 */
import { formatDuration } from '../duration.js'
import { formatRestartPolicy } from '../runtime/container/restart-policy.js'
import { parsePublish } from '../network/port-spec.js'
import type { Project, Service } from './model.js'
import { stringifyYaml } from './vendor.js'

/** The document as YAML, as `docker compose config` prints it. */
export function configYaml(project: Project): string {
  return stringifyYaml(configDocument(project))
}

export function configDocument(project: Project): Record<string, unknown> {
  const services: Record<string, unknown> = {}
  for (const name of Object.keys(project.services).sort()) services[name] = serviceDocument(project.services[name]!)
  const networks: Record<string, unknown> = {}
  for (const [key, n] of Object.entries(project.networks)) {
    if (key === 'default' && !Object.values(project.services).some((s) => s.networks.default)) continue
    networks[key] = { name: n.name, ...(n.external ? { external: true } : {}), ...(n.subnet ? { ipam: { config: [{ subnet: n.subnet, ...(n.gateway ? { gateway: n.gateway } : {}) }] } } : {}) }
  }
  const volumes: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(project.volumes)) volumes[key] = { name: v.name, ...(v.external ? { external: true } : {}), ...(v.driverOpts ? { driver_opts: v.driverOpts } : {}) }
  return {
    name: project.name,
    services,
    ...(Object.keys(networks).length ? { networks } : {}),
    ...(Object.keys(volumes).length ? { volumes } : {}),
  }
}

function serviceDocument(s: Service): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const put = (key: string, value: unknown) => {
    if (value === undefined || value === false) return
    if (Array.isArray(value) && value.length === 0) return
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return
    out[key] = value
  }
  put('build', s.build && { context: s.build.context, dockerfile: s.build.dockerfile, args: s.build.args, target: s.build.target })
  put('cap_add', s.capAdd)
  put('cap_drop', s.capDrop)
  put('command', s.command)
  put('container_name', s.containerName)
  put('cpus', s.cpus)
  put('depends_on', Object.fromEntries(Object.entries(s.dependsOn).map(([n, d]) => [n, { condition: d.condition, required: d.required, restart: d.restart }])))
  put('device_cgroup_rules', s.deviceCgroupRules)
  put('devices', s.devices)
  put('entrypoint', s.entrypoint)
  put('environment', s.environment)
  put('expose', s.expose)
  put('extra_hosts', s.extraHosts)
  put('healthcheck', s.healthcheck && healthDocument(s.healthcheck))
  put('hostname', s.hostname)
  put('image', s.image)
  put('init', s.init)
  put('labels', s.labels)
  put('mem_limit', s.memLimit)
  put('network_mode', s.networkMode)
  put('networks', Object.fromEntries(Object.entries(s.networks).map(([k, n]) => [k, n.aliases.length || n.ipv4Address ? { aliases: n.aliases.length ? n.aliases : undefined, ipv4_address: n.ipv4Address } : null])))
  put('pids_limit', s.pidsLimit)
  put('ports', s.ports.map(portDocument))
  put('privileged', s.privileged)
  put('profiles', s.profiles)
  put('pull_policy', s.pullPolicy === 'missing' ? undefined : s.pullPolicy)
  put('read_only', s.readOnly)
  put('restart', s.restart.name === 'no' ? undefined : formatRestartPolicy(s.restart))
  put('scale', s.replicas === 1 ? undefined : s.replicas)
  put('stop_grace_period', s.stopTimeout !== undefined ? formatDuration(s.stopTimeout * 1e9) : undefined)
  put('stop_signal', s.stopSignal)
  put('tmpfs', s.tmpfs)
  put('tty', s.tty)
  put('user', s.user)
  put('volumes_from', s.volumesFrom.map((v) => `${v.service ?? `container:${v.container}`}${v.readOnly ? ':ro' : ''}`))
  put('volumes', s.volumes.map((v) => ({ type: v.type, source: v.source, target: v.target, read_only: v.readOnly || undefined, ...(v.type === 'bind' && v.createHostPath ? { bind: { create_host_path: true } } : {}), ...(v.nocopy ? { volume: { nocopy: true } } : {}), ...(v.size !== undefined ? { tmpfs: { size: v.size } } : {}) })))
  put('working_dir', s.workingDir)
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown> // undefined fields out
}

function portDocument(spec: string): Record<string, unknown> {
  const p = parsePublish(spec)
  const range = (start: number) => (p.range > 1 ? `${start}-${start + p.range - 1}` : String(start))
  return {
    target: p.range > 1 ? range(p.containerPort) : p.containerPort,
    ...(p.hostPort ? { published: range(p.hostPort) } : {}),
    ...(p.hostIp ? { host_ip: p.hostIp } : {}),
    protocol: p.protocol,
    mode: 'host',
  }
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
