/**
 * inspect's HostConfig in Docker's shape (api/types/container HostConfig,
 * its keys in the Go struct's order, Resources' fields flat as Go embeds
 * them). The flags the user gave are shown as given (StartInput.given); a
 * container made before they were recorded shows the spec's values, or
 * Docker's for no flag.
 */
import type { ContainerInfo } from '../runtime/container/containers.js'
import { networkMode } from '../runtime/container/filter-containers.js'
import { inspectLinks } from '../network/links.js'
import { parsePublish } from '../network/port-spec.js'
import type { SpecBlockIO, SpecResources, ThrottleDevice } from '../runtime/cgroup/cgroup-limits.js'
import type { BlkioDeviceFlag, GivenFlags } from '../runtime/container/start-input.js'
import { devicePart } from '../runtime/cgroup/blkio-flags.js'
import { NETWORK_DEFAULTS } from '../runtime/spec/sysctls.js'
import { parseUlimits, UNLIMITED } from '../runtime/spec/ulimits.js'

export function hostConfigJson(c: ContainerInfo, links?: string[] | null): Record<string, unknown> {
  const spec = c.spec
  const given = c.startInput?.given
  return {
    Binds: given?.binds ?? null,
    // a foreground run writes no log: its output goes to the terminal
    LogConfig: c.logConfig ? { Type: c.logConfig.type, Config: c.logConfig.config } : { Type: 'none', Config: {} },
    NetworkMode: networkMode(c),
    PortBindings: portBindings(given?.publish ?? []),
    RestartPolicy: { Name: c.restartPolicy?.name ?? 'no', MaximumRetryCount: c.restartPolicy?.maximumRetryCount ?? 0 },
    AutoRemove: c.autoRemove === true,
    VolumesFrom: given?.volumesFrom ?? null,
    // a Go map: its keys in order, left out when empty (omitempty)
    ...(spec?.annotations && { Annotations: Object.fromEntries(Object.entries(spec.annotations).sort(([a], [b]) => (a < b ? -1 : 1))) }),
    // only what the user added or dropped, as given (null when nothing)
    CapAdd: given ? given.capAdd ?? null : spec?.process.capabilities?.bounding ?? [],
    CapDrop: given?.capDrop ?? null,
    Dns: given?.dns ?? [],
    DnsOptions: given?.dnsOption ?? [],
    DnsSearch: given?.dnsSearch ?? [],
    ExtraHosts: given?.addHost ?? null,
    GroupAdd: given?.groupAdd ?? null,
    // --device as docker/cli's ParseDevice splits it: HOST[:CONTAINER][:PERMISSIONS]
    Devices: (given?.devices ?? []).map(deviceMapping),
    DeviceCgroupRules: given?.deviceCgroupRules ?? null,
    IpcMode: namespaceMode(c, 'ipc') ?? given?.ipc ?? 'private',
    // Docker's default on a cgroup v2 host, and mini-run's everywhere
    CgroupnsMode: c.spec && !c.spec.linux.namespaces.some((n) => n.type === 'cgroup') ? 'host' : 'private',
    Links: links !== undefined ? links : inspectLinks(c.startInput?.network, c.name),
    OomScoreAdj: spec?.process.oomScoreAdj ?? 0,
    PidMode: namespaceMode(c, 'pid') ?? '',
    Privileged: given?.privileged === true,
    ReadonlyRootfs: spec?.root.readonly ?? false,
    SecurityOpt: given?.securityOpt ?? null,
    // --tmpfs: no mount point of Docker's, but this (omitted when empty)
    ...(c.tmpfs ? { Tmpfs: c.tmpfs } : {}),
    ...resourceFields(spec?.linux.resources, given?.cfs === true, given?.blkioDevices),
    Ulimits: given?.ulimits ? parseUlimits(given.ulimits).map((r) => ({ Name: r.type.slice(7).toLowerCase(), Hard: limit(r.hard), Soft: limit(r.soft) })) : null,
    ...(c.startInput?.init ? { Init: true } : {}),
    // a Go map, left out when empty (omitempty)
    ...sysctlsShown(spec?.linux.sysctl, given?.sysctls),
  }
}

/**
 * Sysctls: the user's, as given, without the defaults mini-run sets as
 * Docker's daemon does (sysctls.ts), which its inspect leaves out too; a
 * container recorded before they were kept: the spec's but for values the
 * defaults have.
 */
function sysctlsShown(all: Record<string, string> | undefined, given: readonly string[] | undefined): { Sysctls?: Record<string, string> } {
  const own = given
    ? given.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const)
    : Object.entries(all ?? {}).filter(([k, v]) => NETWORK_DEFAULTS[k] !== v)
  return own.length ? { Sysctls: Object.fromEntries(own) } : {}
}

function deviceMapping(text: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const [host = '', second, third] = text.split(':')
  const permissions = third ?? (second !== undefined && /^[rwm]+$/.test(second) ? second : 'rwm')
  const inside = second !== undefined && !/^[rwm]+$/.test(second) ? second : host
  return { PathOnHost: host, PathInContainer: inside, CgroupPermissions: permissions }
}

/** Docker's PidMode/IpcMode of a shared namespace: container:<id> (--pid/--ipc container:X), host; undefined for one of its own. */
function namespaceMode(c: ContainerInfo, ns: 'pid' | 'ipc'): string | undefined {
  const joined = c.startInput?.joins?.[ns]
  if (joined) return `container:${joined.id}`
  if (c.spec && !c.spec.linux.namespaces.some((n) => n.type === ns)) return 'host'
  return undefined
}

/** A --ulimit value as Docker shows it: -1 for unlimited. */
const limit = (v: number) => (v >= UNLIMITED ? -1 : v)

/**
 * Docker's Resources fields from the spec's (resourcesFromFlags made them
 * from --memory, --cpus...): 0 or "" when not limited. PidsLimit is null
 * unless a positive limit: Docker's API takes 0 and -1 as "unlimited" and
 * keeps nil (api/server/router/container postContainersCreate).
 */
function resourceFields(r: SpecResources | undefined, cfs: boolean, blkioGiven: GivenFlags['blkioDevices']): Record<string, unknown> {
  const cpu = r?.cpu
  // --cpus is quota per period; Docker keeps it as billionths of a CPU
  const nanoCpus = !cfs && cpu?.quota !== undefined && cpu.quota > 0 && cpu.period ? Math.round((cpu.quota / cpu.period) * 1e9) : 0
  const pids = r?.pids?.limit
  return {
    CpuShares: cpu?.shares ?? 0,
    Memory: r?.memory?.limit ?? 0,
    NanoCpus: nanoCpus,
    ...blkioFields(r?.blockIO, blkioGiven),
    // --cpu-period and --cpu-quota as given (0: the kernel's)
    CpuPeriod: cfs ? cpu?.period ?? 0 : 0,
    CpuQuota: cfs ? cpu?.quota ?? 0 : 0,
    CpusetCpus: cpu?.cpus ?? '',
    CpusetMems: cpu?.mems ?? '',
    MemoryReservation: r?.memory?.reservation ?? 0,
    // Docker's daemon sets twice Memory when only Memory is given, as resourcesFromFlags does
    MemorySwap: r?.memory?.swap ?? 0,
    // null: the host's (none given, or discarded on cgroup v2, as Docker's daemon keeps it)
    MemorySwappiness: r?.memory?.swappiness ?? null,
    OomKillDisable: r?.memory?.disableOOMKiller === true,
    PidsLimit: pids !== undefined && pids > 0 ? pids : null,
  }
}

/**
 * Docker's Blkio fields: the weight, and each device as given (its path)
 * with the weight or rate the spec has for it, in the same order.
 */
function blkioFields(io: SpecBlockIO | undefined, given: GivenFlags['blkioDevices']): Record<string, unknown> {
  const path = (text: string) => devicePart(text).path
  const rates = (flag: BlkioDeviceFlag, list: readonly ThrottleDevice[] | undefined) => (given?.[flag] ?? []).map((text, i) => ({ Path: path(text), Rate: list?.[i]?.rate ?? 0 }))
  return {
    BlkioWeight: io?.weight ?? 0,
    // none where the host's weights were discarded, as Docker's daemon empties the list
    BlkioWeightDevice: (io?.weightDevice ? given?.blkioWeightDevice ?? [] : []).map((text, i) => ({ Path: path(text), Weight: io?.weightDevice?.[i]?.weight ?? 0 })),
    BlkioDeviceReadBps: rates('deviceReadBps', io?.throttleReadBpsDevice),
    BlkioDeviceWriteBps: rates('deviceWriteBps', io?.throttleWriteBpsDevice),
    BlkioDeviceReadIOps: rates('deviceReadIops', io?.throttleReadIOPSDevice),
    BlkioDeviceWriteIOps: rates('deviceWriteIops', io?.throttleWriteIOPSDevice),
  }
}

/**
 * HostConfig.PortBindings of -p values as given: one key per container
 * port ("80/tcp"), each with its bindings in the order given; HostPort ""
 * when none was named (Docker picks one at the start). Go marshals the map
 * with its keys sorted.
 */
export function portBindings(publish: readonly string[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {}
  for (const spec of publish) {
    const p = parsePublish(spec)
    // as given: Docker keeps "0.0.0.0" when it was written
    const hostIp = p.hostIp === '' && spec.startsWith('0.0.0.0:') ? '0.0.0.0' : p.hostIp
    for (let i = 0; i < p.range; i++) {
      ;(bindings[`${p.containerPort + i}/${p.protocol}`] ??= []).push({ HostIp: hostIp, HostPort: p.hostPortEnd !== undefined ? `${p.hostPort}-${p.hostPortEnd}` : p.hostPort ? String(p.hostPort + i) : '' })
    }
  }
  return Object.fromEntries(Object.keys(bindings).sort().map((k) => [k, bindings[k]!]))
}
