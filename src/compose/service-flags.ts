/**
 * A service as `run`'s flags (runtime/container/container-flags.ts), as
 * `docker compose` turns a service into a container's config: compose calls
 * the same mapping as `mini-run run`, so a service means what the same
 * flags would mean on the command line.
 */
import type { ContainerFlags } from '../runtime/container/container-flags.js'
import { formatRestartPolicy } from '../runtime/container/restart-policy.js'
import type { NetworkFlags } from '../network/plan-network.js'
import type { Service, ServiceVolume } from './model.js'
import { containerPath } from './file-objects.js'

/** A network the container joins: its real name, and its names on it. */
export interface JoinedNetwork {
  key: string
  name: string
  aliases: string[]
  ip?: string
  ip6?: string
  mac?: string
}

export interface ServiceRunInput {
  service: Service
  containerName: string
  /** The networks it joins: the first as --network, the others as more networks joined at the same start (eth1...). */
  networks: JoinedNetwork[]
  /** Top-level volume key -> the volume's real name. */
  volumeNames: Record<string, string>
  /** A recreated container keeps its predecessor's anonymous volumes (container path -> volume name), as Docker's does. */
  anonymousVolumes?: Record<string, string>
  labels: Record<string, string>
  cgroupParent?: string
  detach: boolean
}

/** Docker's --entrypoint takes one word: the rest of a compose entrypoint goes before the command. */
function entrypointAndCommand(s: Service): { entrypoint?: string; command: string[] } {
  if (s.entrypoint === undefined) return { command: s.command ?? [] }
  if (s.entrypoint.length === 0) return { entrypoint: '', command: s.command ?? [] }
  return { entrypoint: s.entrypoint[0]!, command: [...s.entrypoint.slice(1), ...(s.command ?? [])] }
}

export function mountFlags(v: ServiceVolume, volumeNames: Record<string, string>, anonymous: Record<string, string>): { volume?: string; mount?: string } {
  const ro = v.readOnly ? ':ro' : ''
  switch (v.type) {
    case 'bind':
      // the short syntax makes a missing host path, as -v does; --mount does not
      return v.createHostPath ? { volume: `${v.source}:${v.target}${ro}` } : { mount: `type=bind,source=${v.source},target=${v.target}${v.readOnly ? ',readonly' : ''}` }
    case 'volume': {
      if (v.source === undefined) return { volume: anonymous[v.target] ? `${anonymous[v.target]}:${v.target}${ro}` : `${v.target}${ro}` }
      const options = [...(v.readOnly ? ['ro'] : []), ...(v.nocopy ? ['nocopy'] : [])]
      return { volume: `${volumeNames[v.source] ?? v.source}:${v.target}${options.length ? `:${options.join(',')}` : ''}` }
    }
    case 'tmpfs':
      return { mount: `type=tmpfs,target=${v.target}${v.size !== undefined ? `,tmpfs-size=${v.size}` : ''}${v.readOnly ? ',readonly' : ''}` }
  }
}

/** Secrets and configs from a file: read-only binds, as Docker Compose makes them (file-objects.ts). */
function fileMounts(s: Service): string[] {
  return (['secret', 'config'] as const).flatMap((kind) =>
    (s[`${kind}s`] ?? []).flatMap((r) => ('file' in r.from ? [['type=bind', csvField(`source=${r.from.file}`), csvField(`target=${containerPath(kind, r)}`), 'readonly'].join(',')] : [])),
  )
}

/** --mount's fields are read as CSV (csv-fields.ts): one with a comma or a quote is quoted. */
function csvField(field: string): string {
  return /[,"]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field
}

/** What the service means in run's flags, and the networks no flag of run names. */
export interface ServiceRun {
  image: string
  command: string[]
  flags: ContainerFlags
  moreNetworks: NonNullable<NetworkFlags['moreNetworks']>
}

export function serviceRunFlags(input: ServiceRunInput): ServiceRun {
  const s = input.service
  const { entrypoint, command } = entrypointAndCommand(s)
  const mounts = s.volumes.map((v) => mountFlags(v, input.volumeNames, input.anonymousVolumes ?? {}))
  const first = input.networks[0]
  const label = Object.entries({ ...s.labels, ...input.labels }).map(([k, v]) => `${k}=${v}`)
  const flags: ContainerFlags = {
    detach: input.detach,
    env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
    envFile: [],
    workdir: s.workingDir,
    user: s.user,
    hostname: s.hostname,
    ...(s.domainname ? { domainname: s.domainname } : {}),
    sysctl: Object.entries(s.sysctls ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(s.annotations && { annotation: Object.entries(s.annotations).map(([k, v]) => `${k}=${v}`) }),
    name: input.containerName,
    readOnly: s.readOnly,
    entrypoint,
    interactive: s.stdinOpen,
    tty: s.tty,
    init: s.init,
    capAdd: s.capAdd,
    capDrop: s.capDrop,
    userns: s.userns,
    cgroupParent: s.cgroupParent ?? input.cgroupParent,
    ...(s.cgroup ? { cgroupns: s.cgroup } : {}),
    memory: s.memLimit,
    memorySwap: s.memswapLimit,
    pidsLimit: s.pidsLimit,
    shmSize: s.shmSize,
    oomScoreAdj: s.oomScoreAdj,
    cpus: s.cpus,
    cpuShares: s.cpuShares,
    cpusetCpus: s.cpuset,
    memorySwappiness: s.memSwappiness,
    oomKillDisable: s.oomKillDisable,
    ...(s.blkio && {
      blkioWeight: s.blkio.weight,
      blkioWeightDevice: s.blkio.weightDevice,
      deviceReadBps: s.blkio.deviceReadBps,
      deviceWriteBps: s.blkio.deviceWriteBps,
      deviceReadIops: s.blkio.deviceReadIops,
      deviceWriteIops: s.blkio.deviceWriteIops,
    }),
    cpuPeriod: s.cpuPeriod,
    cpuQuota: s.cpuQuota,
    memoryReservation: s.memReservation,
    volume: mounts.flatMap((m) => (m.volume ? [m.volume] : [])),
    mount: [...mounts.flatMap((m) => (m.mount ? [m.mount] : [])), ...fileMounts(s)],
    tmpfs: s.tmpfs,
    volumesFrom: s.volumesFrom.map((v) => `${v.container ?? v.service}${v.readOnly ? ':ro' : ''}`),
    securityOpt: s.securityOpt,
    privileged: s.privileged,
    device: s.devices,
    deviceCgroupRule: s.deviceCgroupRules,
    ulimit: s.ulimits,
    logOpt: s.logOpts,
    groupAdd: s.groupAdd,
    stopSignal: s.stopSignal,
    stopTimeout: s.stopTimeout !== undefined ? String(s.stopTimeout) : undefined,
    network: s.networkMode ?? first?.name,
    // its service name on every network, as Docker Compose registers it
    networkAlias: first ? [...new Set([s.name, ...first.aliases])] : [],
    publish: s.ports,
    expose: s.expose,
    dns: s.dns,
    dnsSearch: s.dnsSearch,
    dnsOption: s.dnsOpt,
    addHost: s.extraHosts,
    ...(s.externalLinks?.length && { link: s.externalLinks }),
    macAddress: s.macAddress ?? first?.mac,
    ip: first?.ip,
    ...(first?.ip6 ? { ip6: first.ip6 } : {}),
    pid: s.pid,
    ipc: s.ipc,
    uts: s.uts,
    // carried out by the runtime (internal cleanup -> restart-container.ts): the same container again
    ...(s.restart.name !== 'no' ? { restart: formatRestartPolicy(s.restart) } : {}),
    label,
    labelFile: [],
  }
  // its service name on every network, as on the first
  const moreNetworks = input.networks.slice(1).map((n) => ({ name: n.name, aliases: [...new Set([s.name, ...n.aliases])], ...(n.ip ? { ip: n.ip } : {}), ...(n.ip6 ? { ip6: n.ip6 } : {}), ...(n.mac ? { mac: n.mac } : {}) }))
  return { image: s.image, command, flags, moreNetworks }
}
