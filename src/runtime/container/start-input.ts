/**
 * What a container's state keeps to plan its start again: `start` after
 * `create`, `start` of an exited container, and a restart by its policy.
 *
 * The plan itself is not kept: fds, pids and the monitor's argv of one start
 * mean nothing to the next, and planStart is pure, so the same input plans
 * the same start. What changed since is said explicitly: the writable layer
 * and the volumes exist (`made`), a -v source may have been removed
 * meanwhile (made again, as Docker does at every start).
 */
import { existsSync } from 'node:fs'
import type { PlanInput } from '../plan/plan-start.js'
import type { CloneVia } from '../plan/steps.js'
import { bindsAsGiven } from '../spec/volumes.js'

export type MonitorVia = Extract<CloneVia, { monitor: unknown }>

/** PlanInput without what is not data (pathKind) or kept elsewhere in the state (the spec). */
export type StartInput = Omit<PlanInput, 'pathKind' | 'spec' | 'via' | 'made' | 'bindSources'> & {
  /** A start of an existing container is always detached, as `docker start` is. */
  via: MonitorVia
  /** -v sources mini-run made (they are made again if missing). */
  createSources?: string[]
  /** The user's flags as given, for inspect's HostConfig and Config (Docker shows them so); not read by a start. */
  given?: GivenFlags
}

/** What inspect shows as the user gave it, not as the spec has it. */
export interface GivenFlags {
  capAdd?: string[]
  capDrop?: string[]
  ulimits?: string[]
  dns?: string[]
  dnsSearch?: string[]
  dnsOption?: string[]
  addHost?: string[]
  groupAdd?: string[]
  securityOpt?: string[]
  /** -u (or the image's USER), as given: Config.User */
  user?: string
  /** HOME, HOSTNAME and (-t) TERM set by mini-run, not by the image or -e: in the process env, not in Config.Env (Docker's daemon environment) */
  envDefaults?: string[]
  /** --privileged: HostConfig.Privileged */
  privileged?: true
  /** -p values as given: HostConfig.PortBindings (inspect-host-config.ts) */
  publish?: string[]
  /** -v values naming a source, relative host paths made absolute: HostConfig.Binds */
  binds?: string[]
  /** --volumes-from values as given: HostConfig.VolumesFrom */
  volumesFrom?: string[]
  /** --ipc shareable: HostConfig.IpcMode (private, the default, is not kept) */
  ipc?: 'shareable'
  /** --sysctl values as given: HostConfig.Sysctls, without the defaults mini-run adds (sysctls.ts) */
  sysctls?: string[]
  /** --cpu-period or --cpu-quota, not --cpus: HostConfig.CpuPeriod and CpuQuota, not NanoCpus */
  cfs?: true
  /** --device and --device-cgroup-rule values as given: HostConfig.Devices and DeviceCgroupRules */
  devices?: string[]
  deviceCgroupRules?: string[]
  /** The block I/O device flags as given (their paths): HostConfig.BlkioWeightDevice, BlkioDeviceReadBps... */
  blkioDevices?: Partial<Record<BlkioDeviceFlag, string[]>>
}

export type BlkioDeviceFlag = 'blkioWeightDevice' | 'deviceReadBps' | 'deviceWriteBps' | 'deviceReadIops' | 'deviceWriteIops'
const BLKIO_DEVICE_FLAGS: readonly BlkioDeviceFlag[] = ['blkioWeightDevice', 'deviceReadBps', 'deviceWriteBps', 'deviceReadIops', 'deviceWriteIops']

/** The run flags GivenFlags keeps. */
export interface GivenSource {
  capAdd?: string[]
  capDrop?: string[]
  ulimits?: string[]
  networkFlags?: { dns?: string[]; dnsSearch?: string[]; dnsOption?: string[]; addHost?: string[]; publish?: string[] }
  groupAdd?: string[]
  securityOpt?: string[]
  user?: string
  env?: string[]
  tty?: boolean
  privileged?: boolean
  volumes?: { volumes?: string[]; volumesFrom?: string[] }
  ipc?: string
  sysctls?: string[]
  resources?: { cpuPeriod?: string; cpuQuota?: string } & Partial<Record<BlkioDeviceFlag, readonly string[]>>
  devices?: string[]
  deviceCgroupRules?: string[]
}

const nonEmpty = (list: readonly string[] | undefined) => (list?.length ? [...list] : undefined)

/** The GivenFlags of a run: only what it has (an empty state stays small). */
export function givenFlags(o: GivenSource, image: { User?: string | null; Env?: string[] | null } | undefined, cwd: string = process.cwd()): GivenFlags {
  const named = (k: string) => (e: string) => e === k || e.startsWith(`${k}=`)
  const env = [...(image?.Env ?? []), ...(o.env ?? [])]
  const given: GivenFlags = {
    capAdd: nonEmpty(o.capAdd),
    capDrop: nonEmpty(o.capDrop),
    ulimits: nonEmpty(o.ulimits),
    dns: nonEmpty(o.networkFlags?.dns),
    dnsSearch: nonEmpty(o.networkFlags?.dnsSearch),
    dnsOption: nonEmpty(o.networkFlags?.dnsOption),
    addHost: nonEmpty(o.networkFlags?.addHost),
    groupAdd: nonEmpty(o.groupAdd),
    securityOpt: nonEmpty(o.securityOpt),
    user: o.user ?? (image?.User || undefined),
    envDefaults: nonEmpty(['HOSTNAME', ...(o.tty ? ['TERM'] : []), 'HOME'].filter((k) => !env.some(named(k)))),
    privileged: o.privileged === true ? true : undefined,
    publish: nonEmpty(o.networkFlags?.publish),
    binds: nonEmpty(bindsAsGiven(o.volumes?.volumes ?? [], cwd)),
    volumesFrom: nonEmpty(o.volumes?.volumesFrom),
    ipc: o.ipc === 'shareable' ? 'shareable' : undefined,
    sysctls: nonEmpty(o.sysctls),
    cfs: o.resources?.cpuPeriod !== undefined || o.resources?.cpuQuota !== undefined ? true : undefined,
    devices: nonEmpty(o.devices),
    deviceCgroupRules: nonEmpty(o.deviceCgroupRules),
    blkioDevices: blkioDevicesGiven(o.resources),
  }
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as GivenFlags
}

function blkioDevicesGiven(r: GivenSource['resources']): GivenFlags['blkioDevices'] {
  const given = BLKIO_DEVICE_FLAGS.filter((k) => r?.[k]?.length).map((k) => [k, [...r![k]!]] as const)
  return given.length ? Object.fromEntries(given) : undefined
}

/** The PlanInput of the next start, from what was recorded. */
export function replanInput(input: StartInput, spec: PlanInput['spec'], pathKind: PlanInput['pathKind'], monitor: Partial<MonitorVia['monitor']> = {}): PlanInput {
  const { createSources, given: _given, via, ...rest } = input
  // holding the output for a client is asked for by each start itself
  const { waitAttach: _, ...recorded } = via.monitor
  return {
    ...rest,
    spec,
    pathKind,
    made: true,
    bindSources: (createSources ?? []).filter((path) => !existsSync(path)),
    via: { monitor: { ...recorded, ...monitor } },
  }
}
