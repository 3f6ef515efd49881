/**
 * run's checks of its flags' values that need neither the image nor
 * another container: each is the parser `run` itself goes through
 * (container-flags.ts, prepare.ts, plan-network.ts, container-spec.ts,
 * cgroup-limits.ts), called on the values alone. A caller that gets its
 * values from elsewhere, compose when it loads a file, refuses here what
 * run would refuse only once the container is made, after the networks
 * and volumes it needs, and learns which flag (and which of its values)
 * was refused, to name where that value came from.
 */
import { UsageError } from '../../errors.js'
import { parseAddHost } from '../../network/etc-files.js'
import { checkDnsServer, checkMacAddress } from '../../network/plan-network.js'
import { parseExpose, parsePublish } from '../../network/port-spec.js'
import { resourcesFromFlags, type ResourceFlags } from '../cgroup/cgroup-limits.js'
import { normalizeCapability } from '../spec/capabilities.js'
import { checkHostNames, checkWorkdir } from '../spec/container-spec.js'
import { hostDevice, parseDeviceCgroupRule, parseDeviceFlag, type DeviceOf } from '../spec/device-flags.js'
import { sharedNamespaces, type NamespaceFlags } from '../spec/host-namespaces.js'
import { parseLogOptions } from '../spec/log-options.js'
import { userSpecParts } from '../spec/resolve-user.js'
import { parseSignal } from '../spec/signals.js'
import { sysctlsOf } from '../spec/sysctls.js'
import { parseUlimit } from '../spec/ulimits.js'
import { volumesFromFlags } from '../spec/volumes.js'
import { logDriverOf, oomScoreAdjOf, readLabels, securityOptions, shmSizeOf, stopTimeoutOf, type ContainerFlags } from './container-flags.js'
import { parseRestartPolicy } from './restart-policy.js'

type Flag = keyof ContainerFlags
type ListFlag = { [K in Flag]-?: NonNullable<ContainerFlags[K]> extends readonly string[] ? K : never }[Flag]
type TextFlag = { [K in Flag]-?: NonNullable<ContainerFlags[K]> extends string ? K : never }[Flag]

/** The flag whose value was refused (a field of ContainerFlags) and, for a repeatable one, which value. */
export class FlagValueError extends UsageError {
  override name = 'FlagValueError'
  constructor(
    readonly flag: Flag,
    readonly index: number | undefined,
    cause: unknown,
  ) {
    super((cause as Error).message, { cause })
  }
}

export interface FlagCheckOptions {
  /**
   * Also against this host: a --device is a device node here, --cpus and
   * --cpuset-cpus within its CPUs. Without it, the values alone (what a
   * file that only names a container made elsewhere may say).
   */
  onHost: boolean
}

/** Any path is a device node: --device's syntax alone. */
const anyDevice: DeviceOf = () => ({ type: 'c', major: 0, minor: 0 })

/** Each value of a repeatable flag, alone; f: the other flags, for the checks that depend on them. */
const EACH: Partial<Record<ListFlag, (value: string, f: ContainerFlags, o: FlagCheckOptions) => unknown>> = {
  capAdd: normalizeCapability,
  capDrop: normalizeCapability,
  dns: checkDnsServer,
  addHost: parseAddHost,
  publish: parsePublish,
  expose: parseExpose,
  sysctl: (v, f) => sysctlsOf([v], { network: typeof f.network === 'string' ? f.network : undefined, ipc: f.ipc }),
  ulimit: parseUlimit,
  device: (v, _f, o) => parseDeviceFlag(v, o.onHost ? hostDevice : anyDevice),
  deviceCgroupRule: parseDeviceCgroupRule,
  securityOpt: (v) => securityOptions([v]),
  logOpt: (v) => parseLogOptions([v]),
  label: (v) => readLabels([v]),
}

/** A flag with one value. */
const ONE: Partial<Record<TextFlag, (value: string) => unknown>> = {
  macAddress: checkMacAddress,
  // empty: the image's, as run takes it (o.workdir || image.WorkingDir)
  workdir: (v) => v === '' || checkWorkdir(v),
  user: userSpecParts,
  shmSize: shmSizeOf,
  oomScoreAdj: oomScoreAdjOf,
  stopSignal: parseSignal,
  stopTimeout: stopTimeoutOf,
  restart: parseRestartPolicy,
  logDriver: logDriverOf,
}

/** In the order run's resourcesFromFlags reads them: the first whose value, added to those before it, is refused is the one named. */
const RESOURCES = ['memory', 'memorySwap', 'pidsLimit', 'cpus', 'cpuShares', 'memoryReservation', 'cpuPeriod', 'cpuQuota', 'cpusetCpus', 'cpusetMems', 'memorySwappiness', 'blkioWeight'] as const satisfies readonly (keyof ResourceFlags & Flag)[]

/** The block I/O lists: each value checked on its own (it names a device and a rate or weight). */
const RESOURCE_LISTS = ['blkioWeightDevice', 'deviceReadBps', 'deviceWriteBps', 'deviceReadIops', 'deviceWriteIops'] as const satisfies readonly (keyof ResourceFlags & Flag)[]

const NAMESPACES = ['network', 'pid', 'ipc', 'uts', 'cgroupns'] as const satisfies readonly (keyof NamespaceFlags & Flag)[]

const MOUNTS = ['volume', 'mount', 'tmpfs'] as const

function blame<T>(flag: Flag, index: number | undefined, check: () => T): T {
  try {
    return check()
  } catch (err) {
    if (err instanceof FlagValueError) throw err
    throw new FlagValueError(flag, index, err)
  }
}

/** Throws a FlagValueError for the first value run would refuse. */
export function checkFlagValues(f: ContainerFlags, o: FlagCheckOptions): void {
  for (const [flag, check] of Object.entries(EACH) as [ListFlag, NonNullable<(typeof EACH)[ListFlag]>][]) {
    ;((f[flag] ?? []) as readonly string[]).forEach((value, i) => blame(flag, i, () => check(value, f, o)))
  }
  for (const [flag, check] of Object.entries(ONE) as [TextFlag, NonNullable<(typeof ONE)[TextFlag]>][]) {
    const value = f[flag] as string | undefined
    if (value !== undefined) blame(flag, undefined, () => check(value))
  }
  // the mounts one at a time, as one list: a second at the same path is the one refused
  const mounts: Record<(typeof MOUNTS)[number], string[]> = { volume: [], mount: [], tmpfs: [] }
  for (const flag of MOUNTS) {
    f[flag].forEach((value, i) => {
      mounts[flag].push(value)
      blame(flag, i, () => volumesFromFlags({ volumes: mounts.volume, mounts: mounts.mount, tmpfs: mounts.tmpfs }))
    })
  }
  const resources: ResourceFlags = {}
  for (const flag of RESOURCES) {
    if (f[flag] === undefined) continue
    resources[flag] = f[flag]
    blame(flag, undefined, () => resourcesFromFlags(resources, o.onHost))
  }
  for (const flag of RESOURCE_LISTS) {
    ;(f[flag] ?? []).forEach((value, i) => blame(flag, i, () => resourcesFromFlags({ [flag]: [value] }, o.onHost)))
  }
  const namespaces: NamespaceFlags = {}
  for (const flag of NAMESPACES) {
    const value = f[flag]
    if (typeof value !== 'string') continue
    namespaces[flag] = value
    blame(flag, undefined, () => sharedNamespaces(namespaces))
  }
  const shared = new Set(sharedNamespaces(namespaces))
  blame('hostname', undefined, () => checkHostNames({ hostname: f.hostname }, shared))
  blame('domainname', undefined, () => checkHostNames({ domainname: f.domainname }, shared))
}
