/**
 * Docker's `run` flags, as a command line gives them (strings, repeatable
 * flags as lists), and the RunOptions they mean. One mapping for every
 * caller that speaks in run's flags: `mini-run run` and compose, which turns
 * a service into these flags as `docker compose` turns one into a
 * container's config.
 */
import { parseDuration } from '../../duration.js'
import { UsageError } from '../../errors.js'
import type { HealthConfig } from '../health/health-config.js'
import { readEnvFiles } from '../spec/env-file.js'
import type { ResolvedImageLike, RunOptions } from './run-options.js'

export interface RunFlags {
  rm?: boolean
  detach?: boolean
  rootfs?: string
  env: string[]
  envFile: string[]
  workdir?: string
  user?: string
  hostname?: string
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
  volume: string[]
  mount: string[]
  tmpfs: string[]
  securityOpt: string[]
  ulimit: string[]
  logOpt: string[]
  groupAdd: string[]
  stopSignal?: string
  stopTimeout?: string
  network?: string
  networkAlias: string[]
  publish: string[]
  publishAll?: boolean
  dns: string[]
  dnsSearch: string[]
  dnsOption: string[]
  addHost: string[]
  macAddress?: string
  ip?: string
  pid?: string
  ipc?: string
  uts?: string
  /** -l, --label KEY=VALUE (KEY alone: an empty value) */
  label?: string[]
  healthCmd?: string
  healthInterval?: string
  healthTimeout?: string
  healthRetries?: string
  healthStartPeriod?: string
  healthStartInterval?: string
  noHealthcheck?: boolean
}

/** What the flags do not say: where things are, and how to find images. */
export interface RunContext {
  storeRoot?: string
  stateRoot?: string
  /**
   * argv that runs this mini-run with the same store and state (`node --
   * dist/mini-run.cjs --root R --state S`): the monitor's exit command and
   * the health runner are commands of it, run after the caller is gone.
   */
  selfCommand?: string[]
  resolveImage?: (ref: string, storeRoot: string) => Promise<ResolvedImageLike>
  consoleSize?: { height: number; width: number }
}

function stopTimeoutOf(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid --stop-timeout "${text}": a whole number of seconds`)
  return Number(text)
}

/** Docker's --security-opt values that mean something here. */
function securityOptions(options: string[]): { seccomp?: false } {
  let seccomp: false | undefined
  for (const option of options) {
    const [key, value] = option.split(/[=:](.*)/s) as [string, string | undefined]
    if (key === 'seccomp' && value === 'unconfined') seccomp = false
    else if (key === 'seccomp') {
      throw new UsageError(`--security-opt ${option}: only seccomp=unconfined is supported (the default filter applies otherwise)`)
    } else if (key === 'no-new-privileges' && (value === undefined || value === 'true')) {
      continue // always set
    } else throw new UsageError(`--security-opt ${option}: not supported (seccomp=unconfined, no-new-privileges)`)
  }
  return seccomp === false ? { seccomp } : {}
}

/** --label KEY=VALUE, or KEY alone for an empty value (Docker). */
export function labelsOf(values: readonly string[]): Record<string, string> | undefined {
  if (!values.length) return undefined
  const labels: Record<string, string> = {}
  for (const v of values) {
    const eq = v.indexOf('=')
    const key = eq < 0 ? v : v.slice(0, eq)
    if (key === '') throw new UsageError(`invalid label "${v}": the key is empty`)
    labels[key] = eq < 0 ? '' : v.slice(eq + 1)
  }
  return labels
}

/** --health-* and --no-healthcheck as the fields they replace in the image's HEALTHCHECK. */
export function healthFlags(f: RunFlags): Partial<HealthConfig> | undefined {
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
export function runOptionsFromFlags(image: string | undefined, command: string[], flags: RunFlags, ctx: RunContext): RunOptions {
  const tty = flags.tty === true
  const labels = labelsOf(flags.label ?? [])
  const healthcheck = healthFlags(flags)
  const self = ctx.selfCommand
  return {
    image,
    rootfs: flags.rootfs,
    command,
    entrypoint: flags.entrypoint,
    env: [...readEnvFiles(flags.envFile), ...flags.env],
    workdir: flags.workdir,
    user: flags.user,
    hostname: flags.hostname,
    name: flags.name,
    readOnly: flags.readOnly === true,
    volumes: { volumes: flags.volume, mounts: flags.mount, tmpfs: flags.tmpfs },
    tty,
    init: flags.init === true,
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    ...securityOptions(flags.securityOpt),
    ulimits: flags.ulimit,
    logOpts: flags.logOpt,
    groupAdd: flags.groupAdd,
    stopSignal: flags.stopSignal,
    stopTimeout: flags.stopTimeout !== undefined ? stopTimeoutOf(flags.stopTimeout) : undefined,
    network: flags.network,
    networkFlags: {
      aliases: flags.networkAlias,
      publish: flags.publish,
      publishAll: flags.publishAll === true,
      dns: flags.dns,
      dnsSearch: flags.dnsSearch,
      dnsOption: flags.dnsOption,
      addHost: flags.addHost,
      macAddress: flags.macAddress,
      ip: flags.ip,
    },
    pid: flags.pid,
    ipc: flags.ipc,
    uts: flags.uts,
    userns: flags.userns,
    cgroupParent: flags.cgroupParent,
    resources: { memory: flags.memory, memorySwap: flags.memorySwap, pidsLimit: flags.pidsLimit, cpus: flags.cpus, cpuShares: flags.cpuShares },
    storeRoot: ctx.storeRoot,
    stateRoot: ctx.stateRoot,
    consoleSize: tty ? ctx.consoleSize : undefined,
    ...(labels ? { labels } : {}),
    ...(healthcheck ? { healthcheck } : {}),
    // Once the container exits, its monitor runs this very CLI to tear its
    // network down and release its cgroup (and with --rm to remove it); a
    // container with a health check gets a runner of the same CLI
    detach: flags.detach
      ? {
          interactive: flags.interactive === true,
          autoRemove: flags.rm === true,
          ...(self ? { exitCommand: (id: string) => [...self, 'internal', 'cleanup', id], healthCommand: (id: string) => [...self, 'internal', 'health', id] } : {}),
        }
      : undefined,
    resolveImage: ctx.resolveImage,
  }
}
