/**
 * config.json's linux.resources (config-linux.md "Control groups"): what
 * the container's cgroup limits, checked before any cgroup is made.
 */
import type { SpecBlockIO, SpecDeviceRule, SpecResources, ThrottleDevice } from '../../runtime/cgroup/cgroup-limits.js'
import { boolean, ConfigError, integer, object, oneOf, optArray, optBoolean, optInteger, optObject, optString, stringMap, unsupported } from './fields.js'

const I64 = Number.MAX_SAFE_INTEGER

export function readResources(v: unknown, where: string, warnings: string[]): SpecResources | undefined {
  const r = optObject(v, where)
  if (!r) return undefined
  const out: SpecResources = {}
  const memory = readMemory(optObject(r.memory, `${where}.memory`), `${where}.memory`, warnings)
  if (memory) out.memory = memory
  const pids = optObject(r.pids, `${where}.pids`)
  if (pids) out.pids = { limit: integer(pids.limit, `${where}.pids.limit`, -1, I64) }
  const cpu = readCpu(optObject(r.cpu, `${where}.cpu`), `${where}.cpu`)
  if (cpu) out.cpu = cpu
  const blockIO = readBlockIO(optObject(r.blockIO, `${where}.blockIO`), `${where}.blockIO`)
  if (blockIO) out.blockIO = blockIO
  const huge = optArray(r.hugepageLimits, `${where}.hugepageLimits`)
  if (huge?.length) {
    out.hugepageLimits = huge.map((h, i) => {
      const o = object(h, `${where}.hugepageLimits[${i}]`)
      const pageSize = String(o.pageSize)
      if (!/^\d+[KMG]B$/.test(pageSize)) throw new ConfigError(`${where}.hugepageLimits[${i}].pageSize`, `${JSON.stringify(o.pageSize)} is not a page size such as 2MB`)
      return { pageSize, limit: integer(o.limit, `${where}.hugepageLimits[${i}].limit`, 0) }
    })
  }
  if (r.unified !== undefined && r.unified !== null) {
    const unified = stringMap(r.unified, `${where}.unified`)
    for (const key of Object.keys(unified)) {
      if (!/^[a-z_]+\.[a-z0-9_.]+$/.test(key)) throw new ConfigError(`${where}.unified`, `${JSON.stringify(key)} is not a cgroup v2 file name`)
    }
    if (Object.keys(unified).length) out.unified = unified
  }
  const devices = optArray(r.devices, `${where}.devices`)
  if (devices) out.devices = devices.map((d, i) => readDeviceRule(d, `${where}.devices[${i}]`))
  if (r.network !== undefined && r.network !== null && Object.keys(object(r.network, `${where}.network`)).length) {
    unsupported(`${where}.network`, 'a network class or priority (net_cls, net_prio)')
  }
  if (r.rdma !== undefined && r.rdma !== null && Object.keys(object(r.rdma, `${where}.rdma`)).length) unsupported(`${where}.rdma`, 'an RDMA limit')
  return Object.keys(out).length ? out : undefined
}

function readMemory(m: Record<string, unknown> | undefined, where: string, warnings: string[]): SpecResources['memory'] {
  if (!m) return undefined
  const limit = optInteger(m.limit, `${where}.limit`, -1, I64)
  const swap = optInteger(m.swap, `${where}.swap`, -1, I64)
  const reservation = optInteger(m.reservation, `${where}.reservation`, -1, I64)
  const swappiness = optInteger(m.swappiness, `${where}.swappiness`, 0, 100)
  const disableOOMKiller = optBoolean(m.disableOOMKiller, `${where}.disableOOMKiller`)
  for (const key of ['kernel', 'kernelTCP'] as const) {
    if (m[key] !== undefined && m[key] !== null) {
      integer(m[key], `${where}.${key}`)
      // deprecated by the kernel (5.4) and ignored by runc too
      warnings.push(`${where}.${key} ignored: kernel memory limits are deprecated`)
    }
  }
  if (swap !== undefined && swap !== -1 && limit !== undefined && limit !== -1 && swap < limit) {
    throw new ConfigError(`${where}.swap`, `memory+swap ${swap} is below the memory limit ${limit}`)
  }
  const out = {
    ...(limit !== undefined ? { limit } : {}),
    ...(swap !== undefined ? { swap } : {}),
    ...(reservation !== undefined ? { reservation } : {}),
    ...(swappiness !== undefined ? { swappiness } : {}),
    ...(disableOOMKiller ? { disableOOMKiller } : {}),
  }
  if (out.swap !== undefined && out.limit === undefined) throw new ConfigError(`${where}.swap`, 'needs a memory limit')
  return Object.keys(out).length ? out : undefined
}

function readCpu(c: Record<string, unknown> | undefined, where: string): SpecResources['cpu'] {
  if (!c) return undefined
  const shares = optInteger(c.shares, `${where}.shares`, 2, 262144)
  const quota = optInteger(c.quota, `${where}.quota`, -1, I64)
  const period = optInteger(c.period, `${where}.period`, 1000, 1_000_000)
  const burst = optInteger(c.burst, `${where}.burst`, 0, I64)
  const idle = optInteger(c.idle, `${where}.idle`, 0, 1)
  const cpus = optString(c.cpus, `${where}.cpus`)
  const mems = optString(c.mems, `${where}.mems`)
  for (const [key, list] of [['cpus', cpus], ['mems', mems]] as const) {
    if (list && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) throw new ConfigError(`${where}.${key}`, `${JSON.stringify(list)} is not a list such as 0-3,5`)
  }
  for (const key of ['realtimeRuntime', 'realtimePeriod'] as const) {
    if (c[key] !== undefined && c[key] !== null && c[key] !== 0) unsupported(`${where}.${key}`, 'a real-time CPU budget')
  }
  const out = {
    ...(shares !== undefined && c.shares !== 0 ? { shares } : {}),
    ...(quota !== undefined && quota !== 0 ? { quota } : {}),
    ...(period !== undefined ? { period } : {}),
    ...(burst !== undefined ? { burst } : {}),
    ...(idle !== undefined ? { idle } : {}),
    ...(cpus ? { cpus } : {}),
    ...(mems ? { mems } : {}),
  }
  return Object.keys(out).length ? out : undefined
}

function readBlockIO(b: Record<string, unknown> | undefined, where: string): SpecBlockIO | undefined {
  if (!b) return undefined
  const out: SpecBlockIO = {}
  const weight = optInteger(b.weight, `${where}.weight`, 0, 1000)
  if (weight) {
    if (weight < 10) throw new ConfigError(`${where}.weight`, `${weight} is out of range (10..1000)`)
    out.weight = weight
  }
  if (b.leafWeight !== undefined && b.leafWeight !== null && b.leafWeight !== 0) unsupported(`${where}.leafWeight`, 'a leaf weight')
  const wd = optArray(b.weightDevice, `${where}.weightDevice`)
  if (wd?.length) {
    out.weightDevice = wd.map((d, i) => {
      const o = object(d, `${where}.weightDevice[${i}]`)
      const w = optInteger(o.weight, `${where}.weightDevice[${i}].weight`, 10, 1000)
      return { major: integer(o.major, `${where}.weightDevice[${i}].major`, 0), minor: integer(o.minor, `${where}.weightDevice[${i}].minor`, 0), ...(w !== undefined ? { weight: w } : {}) }
    })
  }
  for (const key of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
    const list = optArray(b[key], `${where}.${key}`)
    if (list?.length) out[key] = list.map((d, i) => readThrottle(d, `${where}.${key}[${i}]`))
  }
  return Object.keys(out).length ? out : undefined
}

function readThrottle(v: unknown, where: string): ThrottleDevice {
  const o = object(v, where)
  return { major: integer(o.major, `${where}.major`, 0), minor: integer(o.minor, `${where}.minor`, 0), rate: integer(o.rate, `${where}.rate`, 0) }
}

export function readDeviceRule(v: unknown, where: string): SpecDeviceRule {
  const d = object(v, where)
  const rule: SpecDeviceRule = { allow: boolean(d.allow, `${where}.allow`) }
  if (d.type !== undefined && d.type !== null) rule.type = oneOf(d.type, `${where}.type`, ['a', 'b', 'c'] as const)
  const major = optInteger(d.major, `${where}.major`, -1)
  const minor = optInteger(d.minor, `${where}.minor`, -1)
  if (major !== undefined && major >= 0) rule.major = major
  if (minor !== undefined && minor >= 0) rule.minor = minor
  const access = optString(d.access, `${where}.access`)
  if (access !== undefined) {
    if (!/^[rwm]+$/.test(access)) throw new ConfigError(`${where}.access`, `${JSON.stringify(access)} is not made of r, w and m`)
    rule.access = access
  }
  return rule
}
