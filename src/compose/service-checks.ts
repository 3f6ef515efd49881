/**
 * A service's values checked when the file is loaded, by run's own checks
 * of the flags the service becomes (runtime/container/flag-checks.ts,
 * through the same mapping `up` uses: service-flags.ts), so that a value
 * run would refuse fails the load, naming its key, instead of failing the
 * container's creation after `up` has made the project's networks and
 * volumes. compose-go refuses such values when it loads a file too
 * (extra_hosts, ports); Docker's daemon refuses the rest at create.
 */
import { checkMacAddress } from '../network/plan-network.js'
import { checkFlagValues, FlagValueError } from '../runtime/container/flag-checks.js'
import type { ContainerFlags } from '../runtime/container/container-flags.js'
import type { At, PathSegment } from './compose-error.js'
import type { Service } from './model.js'
import { mountFlags, serviceRunFlags } from './service-flags.js'
import { isMap, type Raw } from './values.js'

/** The key a flag's value comes from. */
const KEYS: Partial<Record<keyof ContainerFlags, string>> = {
  capAdd: 'cap_add', capDrop: 'cap_drop', dns: 'dns', addHost: 'extra_hosts', publish: 'ports', expose: 'expose',
  sysctl: 'sysctls', ulimit: 'ulimits', device: 'devices', deviceCgroupRule: 'device_cgroup_rules',
  volume: 'volumes', mount: 'volumes', tmpfs: 'tmpfs', securityOpt: 'security_opt', logOpt: 'logging', label: 'labels',
  macAddress: 'mac_address', workdir: 'working_dir', user: 'user', hostname: 'hostname', domainname: 'domainname',
  shmSize: 'shm_size', oomScoreAdj: 'oom_score_adj', stopSignal: 'stop_signal', stopTimeout: 'stop_grace_period', restart: 'restart',
  memory: 'mem_limit', memorySwap: 'memswap_limit', memoryReservation: 'mem_reservation', pidsLimit: 'pids_limit', memorySwappiness: 'mem_swappiness',
  cpus: 'cpus', cpuShares: 'cpu_shares', cpuPeriod: 'cpu_period', cpuQuota: 'cpu_quota', cpusetCpus: 'cpuset',
  network: 'network_mode', pid: 'pid', ipc: 'ipc', uts: 'uts', userns: 'userns_mode', groupAdd: 'group_add',
}

/** Repeatable flags whose values stand in the key's list in the same order. */
const SAME_ORDER = new Set<keyof ContainerFlags>(['capAdd', 'capDrop', 'dns', 'device', 'deviceCgroupRule', 'tmpfs', 'securityOpt', 'groupAdd'])

/** Flags given as KEY=VALUE from a mapping (or KEY=VALUE list): named by KEY. */
const BY_NAME: Partial<Record<keyof ContainerFlags, PathSegment[]>> = { sysctl: [], ulimit: [], logOpt: ['options'], label: [] }

/** Where deploy gives the value when the service's own key does not (service-policies.ts deployOf). */
const DEPLOY: Partial<Record<keyof ContainerFlags, PathSegment[]>> = {
  memory: ['deploy', 'resources', 'limits', 'memory'],
  cpus: ['deploy', 'resources', 'limits', 'cpus'],
  pidsLimit: ['deploy', 'resources', 'limits', 'pids'],
  restart: ['deploy', 'restart_policy'],
}

/** network_mode, pid and ipc: service:NAME joins a container as container:NAME does (service-container.ts resolves it when it is made). */
function asContainers(s: Service): Service {
  const joined = (mode: string | undefined) => (mode?.startsWith('service:') ? `container:${mode.slice('service:'.length)}` : mode)
  return { ...s, networkMode: joined(s.networkMode) as Service['networkMode'], pid: joined(s.pid), ipc: joined(s.ipc) }
}

/**
 * Throws, naming the key, what run would refuse of the service's values.
 * onHost: also against this host (devices, CPUs), for the verbs that make
 * containers; the others load a file that may name what is gone.
 */
export function checkServiceValues(s: Service, raw: Raw, at: At, onHost: boolean): void {
  for (const [key, n] of Object.entries(s.networks)) {
    if (n.macAddress === undefined) continue
    try {
      checkMacAddress(n.macAddress)
    } catch (err) {
      throw at.at('networks', key, 'mac_address').error((err as Error).message, err)
    }
  }
  // a named volume's real name is checked when it is made: here a name that passes, for the mount's syntax alone
  const volumeNames = Object.fromEntries(s.volumes.flatMap((v) => (v.type === 'volume' && v.source !== undefined ? [[v.source, 'volume']] : [])))
  const { flags } = serviceRunFlags({ service: asContainers(s), containerName: 'check', networks: [], volumeNames, labels: {}, detach: true })
  try {
    checkFlagValues(flags, { onHost })
  } catch (err) {
    if (!(err instanceof FlagValueError)) throw err
    throw keyOf(err, flags, s, raw, at).error(err.message, err.cause)
  }
}

/** The block I/O flags: blkio_config's keys, a list's item by its index. */
const BLKIO: Partial<Record<keyof ContainerFlags, string>> = {
  blkioWeight: 'weight', blkioWeightDevice: 'weight_device', deviceReadBps: 'device_read_bps', deviceWriteBps: 'device_write_bps',
  deviceReadIops: 'device_read_iops', deviceWriteIops: 'device_write_iops',
}

function keyOf(err: FlagValueError, flags: ContainerFlags, s: Service, raw: Raw, at: At): At {
  const blkio = BLKIO[err.flag]
  if (blkio) return at.at('blkio_config', blkio, ...(err.index !== undefined ? [err.index] : []))
  const key = KEYS[err.flag]
  if (key === undefined) return at
  const deploy = DEPLOY[err.flag]
  if (deploy && raw[key] === undefined) return at.at(...deploy)
  // deploy's reservation wins over mem_reservation (normalize-service.ts)
  if (err.flag === 'memoryReservation' && isMap(raw.deploy) && isMap(raw.deploy.resources) && isMap(raw.deploy.resources.reservations) && raw.deploy.resources.reservations.memory !== undefined) {
    return at.at('deploy', 'resources', 'reservations', 'memory')
  }
  if (err.index === undefined) return at.at(key)
  const value = (flags[err.flag] as string[])[err.index]!
  if (SAME_ORDER.has(err.flag)) return at.at(key, err.index)
  const byName = BY_NAME[err.flag]
  if (byName) return at.at(key, ...byName, value.split('=')[0]!)
  if (err.flag === 'volume' || err.flag === 'mount') {
    // the index among the service's volumes that became this flag
    const of = s.volumes.flatMap((v, i) => (mountFlags(v, {}, {})[err.flag as 'volume' | 'mount'] !== undefined ? [i] : []))
    return at.at(key, of[err.index]!)
  }
  return at.at(key)
}
