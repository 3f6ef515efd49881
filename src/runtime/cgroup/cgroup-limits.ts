/**
 * Docker's resource flags as cgroup v2 files (Documentation/admin-guide/
 * cgroup-v2.rst), through the OCI runtime spec's `linux.resources`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import { blockIOFromFlags, type BlkioFlags, type SpecBlockIO, type ThrottleDevice } from './blkio-flags.js'

export type { SpecBlockIO, ThrottleDevice } from './blkio-flags.js'

/** The part of the OCI spec's linux.resources that mini-run sets (config-linux.md "Control groups"). */
export interface SpecResources {
  /** limit: bytes; swap: memory + swap in bytes (Docker's --memory-swap), -1 unlimited. */
  memory?: { limit?: number; swap?: number; reservation?: number; swappiness?: number; disableOOMKiller?: boolean }
  pids?: { limit: number }
  /** quota -1: unlimited. cpus, mems: cpuset lists ("0-3,5"). */
  cpu?: { shares?: number; quota?: number; period?: number; burst?: number; cpus?: string; mems?: string; idle?: number }
  blockIO?: SpecBlockIO
  hugepageLimits?: { pageSize: string; limit: number }[]
  /** cgroup v2 files by name, written as given (a v2 host only). */
  unified?: Record<string, string>
  /** The device cgroup: rules in order, the last that matches decides (cgroup-devices.ts). */
  devices?: SpecDeviceRule[]
}

/** linux.resources.devices[]: type a (all), c or b; major/minor absent (or -1) for any; access a subset of "rwm". */
export interface SpecDeviceRule {
  allow: boolean
  type?: 'a' | 'c' | 'b'
  major?: number
  minor?: number
  access?: string
}

/** One value for one cgroup interface file, and the controller that offers it. */
export interface LimitFile {
  controller: string
  file: string
  value: string
}

export interface ResourceFlags extends BlkioFlags {
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
  /** 0..100, -1 none (Docker's default): v1's memory.swappiness; cgroup v2 has none (memory-flags.ts). */
  memorySwappiness?: string
  /** v1's memory.oom_control; cgroup v2 has none. */
  oomKillDisable?: boolean
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }

/** Docker's size syntax: 32m, 1g, 512k, 1048576 (bytes). */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(text.trim())
  if (!m) throw new UsageError(`invalid ${flag} "${text}": use a size like 32m or 1g`)
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!)
}

/**
 * Docker's run flags as OCI resources; undefined when none is given.
 * onHost false: the values alone, not against this host's CPUs (what a
 * compose file is checked for when it is loaded, by any verb).
 */
export function resourcesFromFlags(f: ResourceFlags, onHost = true): SpecResources | undefined {
  const r: SpecResources = {}
  if (f.memory !== undefined) {
    const limit = parseSize(f.memory, '--memory')
    // Docker refuses limits this small; the kernel would OOM the runtime's own helpers
    if (limit < 6 * 1024 * 1024) throw new UsageError('minimum memory limit allowed is 6MB')
    r.memory = { limit }
  }
  if (f.memorySwap !== undefined) {
    if (!r.memory) throw new UsageError('you should always set the memory limit when using the memory-swap limit')
    const swap = f.memorySwap === '-1' ? -1 : parseSize(f.memorySwap, '--memory-swap')
    if (swap !== -1 && swap < r.memory.limit!) throw new UsageError('minimum memory-swap limit should be larger than memory limit')
    r.memory.swap = swap
  } else if (r.memory) {
    // Docker: without --memory-swap, as much swap as memory
    r.memory.swap = r.memory.limit! * 2
  }
  if (f.pidsLimit !== undefined) {
    const n = Number(f.pidsLimit)
    if (!Number.isInteger(n)) throw new UsageError(`invalid --pids-limit "${f.pidsLimit}"`)
    r.pids = { limit: n }
  }
  if (f.cpus !== undefined) {
    const cpus = Number(f.cpus)
    if (!(cpus > 0) || !Number.isFinite(cpus)) throw new UsageError(`invalid --cpus "${f.cpus}": a positive number of CPUs`)
    // Docker's daemon's range and words: a hundredth of a CPU to the CPUs this process may use
    const n = availableParallelism()
    if (cpus < 0.01 || (onHost && cpus > n)) throw new UsageError(`Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`)
    r.cpu = { period: 100_000, quota: Math.round(cpus * 100_000) }
  }
  if (f.cpuShares !== undefined) {
    const shares = Number(f.cpuShares)
    if (!Number.isInteger(shares) || shares < 2) throw new UsageError(`invalid --cpu-shares "${f.cpuShares}": an integer of at least 2`)
    r.cpu = { ...r.cpu, shares }
  }
  moreResources(r, f, onHost)
  const blockIO = blockIOFromFlags(f, onHost)
  if (blockIO) r.blockIO = blockIO
  return Object.keys(r).length ? r : undefined
}

/** --memory-reservation, --cpu-period, --cpu-quota, --cpuset-cpus, --cpuset-mems: the daemon's checks and words (daemon/daemon_unix.go verifyPlatformContainerResources). */
function moreResources(r: SpecResources, f: ResourceFlags, onHost: boolean): void {
  if (f.memorySwappiness !== undefined && f.memorySwappiness !== '-1') {
    if (!/^-?\d+$/.test(f.memorySwappiness)) throw new UsageError(`invalid --memory-swappiness "${f.memorySwappiness}": an integer`)
    const swappiness = Number(f.memorySwappiness)
    // docker/cli's check, before the daemon's
    if (swappiness < 0 || swappiness > 100) throw new UsageError(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`)
    r.memory = { ...r.memory, swappiness }
  }
  if (f.oomKillDisable) r.memory = { ...r.memory, disableOOMKiller: true }
  if (f.memoryReservation !== undefined) {
    const reservation = parseSize(f.memoryReservation, '--memory-reservation')
    if (reservation > 0 && reservation < 6 * 1024 * 1024) throw new UsageError('Minimum memory reservation allowed is 6MB')
    if (r.memory?.limit !== undefined && r.memory.limit < reservation) throw new UsageError('Minimum memory limit can not be less than memory reservation limit, see usage')
    if (reservation > 0) r.memory = { ...r.memory, reservation }
  }
  const int = (text: string, flag: string) => {
    if (!/^-?\d+$/.test(text)) throw new UsageError(`invalid ${flag} "${text}": an integer`)
    return Number(text)
  }
  // the daemon's conflicts: --cpus with a period or quota other than 0 (0: the kernel's default)
  const nano = f.cpus !== undefined && Number(f.cpus) !== 0
  if (f.cpuPeriod !== undefined) {
    const period = int(f.cpuPeriod, '--cpu-period')
    if (nano && period > 0) throw new UsageError('Conflicting options: Nano CPUs and CPU Period cannot both be set')
    if (period !== 0 && (period < 1000 || period > 1_000_000)) throw new UsageError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)')
    if (period !== 0 && !nano) r.cpu = { ...r.cpu, period }
  }
  if (f.cpuQuota !== undefined) {
    const quota = int(f.cpuQuota, '--cpu-quota')
    if (nano && quota > 0) throw new UsageError('Conflicting options: Nano CPUs and CPU Quota cannot both be set')
    if (quota > 0 && quota < 1000) throw new UsageError('CPU cfs quota can not be less than 1ms (i.e. 1000)')
    // with --cpus, the daemon's quota and period are made from it (-1 then changes nothing)
    if (quota !== 0 && !nano) r.cpu = { ...r.cpu, quota }
  }
  if (f.cpusetCpus !== undefined && f.cpusetCpus !== '') r.cpu = { ...r.cpu, cpus: cpusetWithin(f.cpusetCpus, 'cpus', onHost ? '/sys/devices/system/cpu/online' : undefined) }
  if (f.cpusetMems !== undefined && f.cpusetMems !== '') r.cpu = { ...r.cpu, mems: cpusetWithin(f.cpusetMems, 'mems', onHost ? '/sys/devices/system/node/online' : undefined) }
}

/** A cpuset list ("0-2,4") as a set of numbers; undefined if it is not one. */
export function parseCpuList(text: string): Set<number> | undefined {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) return undefined
  const out = new Set<number>()
  for (const part of text.split(',')) {
    const [a, b = a] = part.split('-').map(Number) as [number, number?]
    if (b! < a || b! - a > 65536) return undefined
    for (let i = a; i <= b!; i++) out.add(i)
  }
  return out
}

/** The list, if the host has every CPU (or memory node) of it online: Docker's words otherwise (sysinfo IsCpusetCpusAvailable). No file: the list's syntax only. */
function cpusetWithin(text: string, what: 'cpus' | 'mems', onlineFile: string | undefined): string {
  const asked = parseCpuList(text)
  if (!asked) throw new UsageError(`Invalid value ${text} for cpuset ${what}`)
  if (onlineFile === undefined) return text
  let online = '0'
  try {
    online = readFileSync(onlineFile, 'utf8').trim()
  } catch {
    // no NUMA nodes listed: node 0 alone
  }
  const have = parseCpuList(online) ?? new Set([0])
  if ([...asked].some((n) => !have.has(n))) {
    throw new UsageError(`Requested ${what === 'cpus' ? 'CPUs' : 'memory nodes'} are not available - requested ${text}, available: ${online}`)
  }
  return text
}

/** cgroup v1 shares (2..262144) to v2 cpu.weight (1..10000), as runc and crun convert them. */
export function sharesToWeight(shares: number): number {
  const clamped = Math.min(Math.max(shares, 2), 262144)
  return 1 + Math.floor(((clamped - 2) * 9999) / 262142)
}

/** blkio.weight (10..1000) as io.weight (1..10000), as runc converts it. */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990)
}

/** The cgroup v2 files of the limits, with the controller each needs: a pure plan, in order. */
export function limitFiles(r: SpecResources): LimitFile[] {
  const files: LimitFile[] = []
  const add = (controller: string, file: string, value: string | number) => files.push({ controller, file, value: String(value) })
  const mem = r.memory
  if (mem?.limit !== undefined) {
    add('memory', 'memory.max', mem.limit === -1 ? 'max' : mem.limit)
    if (mem.swap !== undefined) {
      add('memory', 'memory.swap.max', mem.swap === -1 ? 'max' : Math.max(0, mem.swap - mem.limit))
    }
  }
  if (mem?.reservation !== undefined) add('memory', 'memory.low', mem.reservation === -1 ? 'max' : mem.reservation)
  if (r.pids) add('pids', 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max')
  const cpu = r.cpu
  if (cpu?.quota !== undefined) add('cpu', 'cpu.max', `${cpu.quota > 0 ? cpu.quota : 'max'} ${cpu.period ?? 100_000}`)
  else if (cpu?.period !== undefined) add('cpu', 'cpu.max', `max ${cpu.period}`)
  if (cpu?.burst !== undefined) add('cpu', 'cpu.max.burst', cpu.burst)
  if (cpu?.shares !== undefined) add('cpu', 'cpu.weight', sharesToWeight(cpu.shares))
  if (cpu?.idle !== undefined) add('cpu', 'cpu.idle', cpu.idle)
  if (cpu?.cpus) add('cpuset', 'cpuset.cpus', cpu.cpus)
  if (cpu?.mems) add('cpuset', 'cpuset.mems', cpu.mems)
  const io = r.blockIO
  if (io?.weight !== undefined) add('io', 'io.weight', `default ${blkioToIoWeight(io.weight)}`)
  for (const d of io?.weightDevice ?? []) if (d.weight !== undefined) add('io', 'io.weight', `${d.major}:${d.minor} ${blkioToIoWeight(d.weight)}`)
  const throttles: [keyof SpecBlockIO, string][] = [
    ['throttleReadBpsDevice', 'rbps'], ['throttleWriteBpsDevice', 'wbps'], ['throttleReadIOPSDevice', 'riops'], ['throttleWriteIOPSDevice', 'wiops'],
  ]
  for (const [key, name] of throttles) {
    for (const d of (io?.[key] as ThrottleDevice[] | undefined) ?? []) add('io', 'io.max', `${d.major}:${d.minor} ${name}=${d.rate}`)
  }
  for (const h of r.hugepageLimits ?? []) add('hugetlb', `hugetlb.${h.pageSize}.max`, h.limit)
  for (const [file, value] of Object.entries(r.unified ?? {})) add(file.split('.')[0]!, file, value)
  return files
}

const FLAG_OF: Record<string, string> = { memory: '--memory', pids: '--pids-limit', cpu: '--cpus/--cpu-shares', cpuset: '--cpuset-cpus/--cpuset-mems', io: 'the block I/O flags (--blkio-weight, --device-read-bps...)', blkio: 'the block I/O flags (--blkio-weight, --device-read-bps...)', hugetlb: 'hugepage limits' }

/** The run flag that asks for a controller, for messages. */
export function flagOfController(controller: string): string {
  return FLAG_OF[controller] ?? `the ${controller} limits`
}

/**
 * Fail before anything starts if the hierarchy lacks a controller the limits
 * need: on a hybrid host the memory, pids and cpu controllers may all be
 * bound to cgroup v1 and absent from the v2 tree.
 */
export function checkControllers(mount: string, r: SpecResources): void {
  const needed = [...new Set(limitFiles(r).map((f) => f.controller))]
  if (needed.length === 0) return
  const available = readFileSync(join(mount, 'cgroup.controllers'), 'utf8').trim().split(/\s+/)
  for (const c of needed) {
    if (!available.includes(c)) {
      const v1 = boundToV1(c) ? ': this host binds it to a cgroup v1 hierarchy' : ''
      throw new MiniRunError(
        `${FLAG_OF[c]} needs the cgroup v2 "${c}" controller, which ${mount} does not offer${v1}; run without the limit, or on a cgroup v2 host`,
        { code: 'ENOCONTROLLER' },
      )
    }
  }
}

/** A cgroup v1 hierarchy with this controller is mounted (a hybrid host). */
function boundToV1(controller: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((line) => / - cgroup \S+ /.test(line) && line.split(' - ')[1]!.split(' ')[2]!.split(',').includes(controller))
  } catch {
    return false
  }
}

/**
 * The directories whose cgroup.subtree_control must delegate a controller
 * for a leaf to have it: from the v2 root down to the leaf's parent (a
 * controller is available in a cgroup only when its parent delegates it).
 * Only ancestors on the path to mini-run's parent are touched, and no
 * process ever sits in them (the "no internal processes" rule).
 */
export function delegationChain(mount: string, leaf: string): string[] {
  const chain: string[] = []
  for (let dir = dirname(leaf); ; dir = dirname(dir)) {
    chain.unshift(dir)
    if (dir === mount || relative(mount, dir).startsWith('..')) break
  }
  return chain
}

/** Write the controllers dir does not delegate yet into its cgroup.subtree_control. */
export function enableControllers(dir: string, controllers: string[]): void {
  const enabled = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/)
  const missing = controllers.filter((c) => !enabled.includes(c))
  if (missing.length) writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '))
}

/** memory.events says the kernel's OOM killer ran in this cgroup. */
export function oomKilled(leaf: string): boolean {
  const file = join(leaf, 'memory.events')
  // a leaf removed with its container is the common case (ps of exited ones): no error made to be caught
  if (!existsSync(file)) return false
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'))
    return m ? Number(m[1]) > 0 : false
  } catch {
    return false
  }
}
