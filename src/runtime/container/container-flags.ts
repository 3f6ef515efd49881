/**
 * Docker's container flags as a command line gives them (strings,
 * repeatable flags as lists), and the RunOptions they mean. One mapping for
 * every caller that speaks in these flags: `run` and `create`
 * (cli/run-flags.ts defines them for commander) and compose, which turns a
 * service into them as `docker compose` turns one into a container's
 * config (compose/service-flags.ts). Pure but for reading --env-file and
 * --label-file.
 */
import { readFileSync } from 'node:fs'
import { parseDuration } from '../../duration.js'
import { UsageError } from '../../errors.js'
import { chooseNetworks } from '../../network/network-opt.js'
import { parseExpose } from '../../network/port-spec.js'
import { parseSize } from '../cgroup/cgroup-limits.js'
import type { HealthConfig } from '../health/health-config.js'
import { readEnvFiles } from '../spec/env-file.js'
import { parseRestartPolicy } from './restart-policy.js'
import type { ResolvedImageLike, RunOptions } from './run-options.js'

export interface ContainerFlags {
  rm?: boolean
  detach?: boolean
  rootfs?: string
  env: string[]
  envFile: string[]
  workdir?: string
  user?: string
  hostname?: string
  domainname?: string
  /** --sysctl KEY=VALUE (repeatable); optional for callers that predate it. */
  sysctl?: string[]
  name?: string
  readOnly?: boolean
  entrypoint?: string
  interactive?: boolean
  tty?: boolean
  init?: boolean
  capAdd: string[]
  capDrop: string[]
  userns?: string
  cgroupParent?: string
  memory?: string
  memorySwap?: string
  pidsLimit?: string
  cpus?: string
  cpuShares?: string
  memoryReservation?: string
  cpusetCpus?: string
  cpusetMems?: string
  cpuPeriod?: string
  cpuQuota?: string
  /** cgroup v1's memory knobs (discarded with a warning on v2, as Docker does). */
  memorySwappiness?: string
  oomKillDisable?: boolean
  /** The block I/O flags (blkio-flags.ts); optional for callers that predate them. */
  blkioWeight?: string
  blkioWeightDevice?: string[]
  deviceReadBps?: string[]
  deviceWriteBps?: string[]
  deviceReadIops?: string[]
  deviceWriteIops?: string[]
  volume: string[]
  mount: string[]
  tmpfs: string[]
  /** --volumes-from CONTAINER[:ro|rw] (repeatable); optional for callers that predate it. */
  volumesFrom?: string[]
  securityOpt: string[]
  privileged?: boolean
  device: string[]
  deviceCgroupRule: string[]
  ulimit: string[]
  logOpt: string[]
  groupAdd: string[]
  stopSignal?: string
  stopTimeout?: string
  /** --network: the CLI's values, each a name or docker/cli's long form (network-opt.ts); a string is one name as it is (compose's). */
  network?: string | string[]
  networkAlias: string[]
  publish: string[]
  publishAll?: boolean
  /** --expose PORT[-END][/PROTOCOL] (repeatable); optional for callers that predate it. */
  expose?: string[]
  dns: string[]
  dnsSearch: string[]
  dnsOption: string[]
  addHost: string[]
  /** --link NAME[:ALIAS] (repeatable); optional for callers that predate it. */
  link?: string[]
  macAddress?: string
  ip?: string
  ip6?: string
  pid?: string
  ipc?: string
  cgroupns?: string
  uts?: string
  restart?: string
  /** -l, --label KEY=VALUE (KEY alone: an empty value) */
  label: string[]
  labelFile: string[]
  /** --annotation KEY=VALUE (KEY alone: an empty value) */
  annotation?: string[]
  shmSize?: string
  oomScoreAdj?: string
  logDriver?: string
  healthCmd?: string
  healthInterval?: string
  healthTimeout?: string
  healthRetries?: string
  healthStartPeriod?: string
  healthStartInterval?: string
  noHealthcheck?: boolean
}

/** What the flags do not say: where things are, how to find images, and how this mini-run is run again. */
export interface FlagContext {
  storeRoot?: string
  stateRoot?: string
  /**
   * argv that runs this mini-run with the same store and state (`node --
   * dist/mini-run.cjs --root R --state S`): the monitor's exit command
   * (`internal cleanup`) and the health runner are commands of it, run
   * after the caller is gone.
   */
  selfCommand?: string[]
  resolveImage?: (ref: string, storeRoot: string) => Promise<ResolvedImageLike>
  consoleSize?: { height: number; width: number }
  /** The caller attaches right after the start (run -it): the monitor holds the output until it does. */
  waitAttach?: boolean
}

export function stopTimeoutOf(text: string): number {
  // negative: stop waits as long as it takes, never SIGKILL (Docker's -1)
  if (!/^-?\d+$/.test(text)) throw new UsageError(`invalid --stop-timeout "${text}": a whole number of seconds (-1: wait for ever)`)
  return Number(text)
}

/** Docker's --security-opt values that mean something here. */
export function securityOptions(options: string[]): { seccomp?: false; seccompProfile?: string; noNewPrivileges?: boolean } {
  const out: { seccomp?: false; seccompProfile?: string; noNewPrivileges?: boolean } = {}
  for (const option of options) {
    const [key, value] = option.split(/[=:](.*)/s) as [string, string | undefined]
    if (key === 'seccomp' && value === 'unconfined') out.seccomp = false
    else if (key === 'seccomp' && value) out.seccompProfile = value
    else if (key === 'no-new-privileges' && (value === undefined || value === 'true')) out.noNewPrivileges = true
    else if (key === 'no-new-privileges' && value === 'false') out.noNewPrivileges = false
    // no-ops: mini-run applies no AppArmor profile and no SELinux label, so there is nothing to turn off
    else if ((key === 'apparmor' && value === 'unconfined') || (key === 'label' && value === 'disable')) continue
    else throw new UsageError(`--security-opt ${option}: not supported (seccomp=unconfined, seccomp=FILE, no-new-privileges[=true|false], apparmor=unconfined and label=disable as no-ops)`)
  }
  return out
}

/** --shm-size: Docker's sizes (64m, 1g, bytes); more than 0. */
export function shmSizeOf(text: string): number {
  const bytes = parseSize(text, '--shm-size')
  if (bytes <= 0) throw new UsageError(`invalid --shm-size "${text}": must be greater than 0`)
  return bytes
}

/** --oom-score-adj: an integer in the kernel's range, refused as Docker's daemon refuses it (daemon/daemon_unix.go). */
export function oomScoreAdjOf(text: string): number {
  const n = Number(text)
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`invalid argument "${text}" for "--oom-score-adj" flag: not an integer`)
  if (n < -1000 || n > 1000) throw new UsageError(`Invalid value ${n}, range for oom score adj is [-1000, 1000]`)
  return n
}

export function logDriverOf(text: string): 'json-file' | 'none' {
  if (text === 'json-file' || text === 'none') return text
  throw new UsageError(`--log-driver ${text}: not supported (json-file, none)`)
}

/** --label KEY=VALUE (KEY alone: an empty value) and --label-file, a label a line; later ones win. */
export function readLabels(labels: readonly string[], files: readonly string[] = []): Record<string, string> | undefined {
  const entries = [...files.flatMap((file) => readLabelFile(file)), ...labels]
  if (entries.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const entry of entries) {
    const eq = entry.indexOf('=')
    const key = eq < 0 ? entry : entry.slice(0, eq)
    if (key === '') throw new UsageError(`invalid label '${entry}': empty name`)
    out[key] = eq < 0 ? '' : entry.slice(eq + 1)
  }
  return out
}

/** --annotation as docker/cli's MapOpts reads it (KEY alone: ""), and the empty key refused as Docker's daemon refuses it. */
function annotationsOf(entries: readonly string[]): Record<string, string> | undefined {
  if (entries.length === 0) return undefined
  const pairs = entries.map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, '']))
  if (pairs.some(([key]) => key === '')) throw new UsageError('invalid Annotations: the empty string is not permitted as an annotation key')
  return Object.fromEntries(pairs)
}

function readLabelFile(file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsageError(`--label-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err })
  }
  return text.split('\n').map((l) => l.replace(/\r$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'))
}

/** --health-* and --no-healthcheck as the fields they replace in the image's HEALTHCHECK. */
export function healthFlags(f: Partial<ContainerFlags>): Partial<HealthConfig> | undefined {
  const duration = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined
    try {
      return parseDuration(v)
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message}`)
    }
  }
  const given = [f.healthCmd, f.healthInterval, f.healthTimeout, f.healthRetries, f.healthStartPeriod, f.healthStartInterval].some((v) => v !== undefined)
  if (f.noHealthcheck) {
    if (given) throw new UsageError('--no-healthcheck conflicts with --health-* options')
    return { Test: ['NONE'] }
  }
  if (!given) return undefined
  if (f.healthRetries !== undefined && !/^\d+$/.test(f.healthRetries)) throw new UsageError(`invalid --health-retries "${f.healthRetries}": a whole number`)
  const h: Partial<HealthConfig> = {
    Test: f.healthCmd !== undefined ? ['CMD-SHELL', f.healthCmd] : [],
    Interval: duration('health-interval', f.healthInterval),
    Timeout: duration('health-timeout', f.healthTimeout),
    StartPeriod: duration('health-start-period', f.healthStartPeriod),
    StartInterval: duration('health-start-interval', f.healthStartInterval),
    Retries: f.healthRetries !== undefined ? Number(f.healthRetries) : undefined,
  }
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Partial<HealthConfig>
}

/** Docker's flags as the runtime's RunOptions. `image` is undefined with --rootfs. */
export function runOptionsFromFlags(image: string | undefined, command: string[], flags: ContainerFlags, ctx: FlagContext): RunOptions {
  const restart = flags.restart !== undefined ? parseRestartPolicy(flags.restart) : undefined
  if (restart && restart.name !== 'no' && flags.rm) throw new UsageError('Conflicting options: --restart and --rm')
  const tty = flags.tty === true
  const labels = readLabels(flags.label, flags.labelFile)
  const annotations = annotationsOf(flags.annotation ?? [])
  const healthcheck = healthFlags(flags)
  const self = ctx.selfCommand
  const legacy = { aliases: flags.networkAlias, ...(flags.ip !== undefined && { ip: flags.ip }), ...(flags.ip6 !== undefined && { ip6: flags.ip6 }), ...(flags.macAddress !== undefined && { macAddress: flags.macAddress }) }
  const networks = typeof flags.network === 'string' ? { ...legacy, network: flags.network, moreNetworks: undefined } : chooseNetworks(flags.network ?? [], legacy)
  return {
    image,
    rootfs: flags.rootfs,
    command,
    entrypoint: flags.entrypoint,
    env: [...readEnvFiles(flags.envFile), ...flags.env],
    workdir: flags.workdir,
    user: flags.user,
    hostname: flags.hostname,
    ...(flags.domainname ? { domainname: flags.domainname } : {}),
    ...(flags.sysctl?.length ? { sysctls: flags.sysctl } : {}),
    ...(annotations && { annotations }),
    name: flags.name,
    readOnly: flags.readOnly === true,
    rm: flags.rm === true,
    volumes: { volumes: flags.volume, mounts: flags.mount, tmpfs: flags.tmpfs, ...(flags.volumesFrom?.length ? { volumesFrom: flags.volumesFrom } : {}) },
    tty,
    init: flags.init === true,
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    ...securityOptions(flags.securityOpt),
    ...(flags.securityOpt.length ? { securityOpt: flags.securityOpt } : {}),
    privileged: flags.privileged === true,
    devices: flags.device ?? [],
    deviceCgroupRules: flags.deviceCgroupRule ?? [],
    ulimits: flags.ulimit,
    logOpts: flags.logOpt,
    groupAdd: flags.groupAdd,
    stopSignal: flags.stopSignal,
    stopTimeout: flags.stopTimeout !== undefined ? stopTimeoutOf(flags.stopTimeout) : undefined,
    network: networks.network,
    networkFlags: {
      aliases: networks.aliases,
      publish: flags.publish,
      publishAll: flags.publishAll === true,
      expose: (flags.expose ?? []).flatMap(parseExpose),
      dns: flags.dns,
      dnsSearch: flags.dnsSearch,
      dnsOption: flags.dnsOption,
      addHost: flags.addHost,
      ...(flags.link?.length && { links: flags.link }),
      macAddress: networks.macAddress,
      ip: networks.ip,
      ...(networks.ip6 !== undefined && { ip6: networks.ip6 }),
      ...(networks.moreNetworks && { moreNetworks: networks.moreNetworks }),
    },
    pid: flags.pid,
    ipc: flags.ipc,
    uts: flags.uts,
    ...(flags.cgroupns !== undefined && { cgroupns: flags.cgroupns }),
    userns: flags.userns,
    cgroupParent: flags.cgroupParent,
    resources: {
      memory: flags.memory, memorySwap: flags.memorySwap, pidsLimit: flags.pidsLimit, cpus: flags.cpus, cpuShares: flags.cpuShares,
      memoryReservation: flags.memoryReservation, cpusetCpus: flags.cpusetCpus, cpusetMems: flags.cpusetMems, cpuPeriod: flags.cpuPeriod, cpuQuota: flags.cpuQuota,
      memorySwappiness: flags.memorySwappiness, oomKillDisable: flags.oomKillDisable,
      blkioWeight: flags.blkioWeight, blkioWeightDevice: flags.blkioWeightDevice, deviceReadBps: flags.deviceReadBps, deviceWriteBps: flags.deviceWriteBps,
      deviceReadIops: flags.deviceReadIops, deviceWriteIops: flags.deviceWriteIops,
    },
    storeRoot: ctx.storeRoot,
    stateRoot: ctx.stateRoot,
    consoleSize: tty ? ctx.consoleSize : undefined,
    // Once the container exits, its monitor runs `internal cleanup` of this
    // very CLI: it tears the network down and releases the cgroup, then
    // removes the container (--rm) or carries out its restart policy. A
    // container with a health check, detached or not, gets a runner of the
    // same CLI (healthCommand).
    detach: flags.detach
      ? {
          interactive: flags.interactive === true,
          waitAttach: ctx.waitAttach || undefined,
          autoRemove: flags.rm === true,
          ...(self ? { exitCommand: (id: string) => [...self, 'internal', 'cleanup', id] } : {}),
        }
      : undefined,
    ...(restart ? { restart } : {}),
    ...(flags.shmSize !== undefined ? { shmSize: shmSizeOf(flags.shmSize) } : {}),
    ...(flags.oomScoreAdj !== undefined ? { oomScoreAdj: oomScoreAdjOf(flags.oomScoreAdj) } : {}),
    ...(flags.logDriver !== undefined ? { logDriver: logDriverOf(flags.logDriver) } : {}),
    labels,
    ...(healthcheck ? { healthcheck } : {}),
    ...(self ? { healthCommand: (id: string) => [...self, 'internal', 'health', id] } : {}),
    resolveImage: ctx.resolveImage,
  }
}
