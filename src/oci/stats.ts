/**
 * A container's resource usage as runc's `events --stats` prints it (the
 * `data` of a "stats" event, libcontainer's types.Stats): CPU, memory, pids,
 * read from its cgroup v2 leaf or, for what a v1 hierarchy holds on a
 * hybrid host, from its v1 leaves. Counters a kernel lacks are left out.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OciRecord } from './oci-state.js'

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return undefined
  }
}
const num = (file: string): number | undefined => {
  const v = read(file)
  if (v === undefined) return undefined
  return v === 'max' ? 2 ** 63 - 1 : Number(v)
}
const keyed = (file: string): Record<string, number> =>
  Object.fromEntries((read(file) ?? '').split('\n').filter(Boolean).map((l) => l.split(/\s+/)).map(([k, v]) => [k!, Number(v)]))

export interface Stats {
  cpu: { usage: { total: number; kernel: number; user: number }; throttling: { periods?: number; throttled_periods?: number; throttled_time?: number } }
  memory: { usage: { usage?: number; max?: number; limit?: number; failcnt?: number }; swap?: { usage?: number; limit?: number }; raw: Record<string, number> }
  pids: { current?: number; limit?: number }
}

export function containerStats(rec: OciRecord): Stats {
  const v2 = rec.cgroup?.path
  const v1 = (c: string) => rec.cgroupV1?.find((l) => l.controller === c)?.path
  const cpu = v2 ? keyed(join(v2, 'cpu.stat')) : {}
  const memV1 = v1('memory')
  const memory: Stats['memory'] = memV1
    ? {
        usage: { usage: num(join(memV1, 'memory.usage_in_bytes')), max: num(join(memV1, 'memory.max_usage_in_bytes')), limit: num(join(memV1, 'memory.limit_in_bytes')), failcnt: num(join(memV1, 'memory.failcnt')) },
        swap: { usage: num(join(memV1, 'memory.memsw.usage_in_bytes')), limit: num(join(memV1, 'memory.memsw.limit_in_bytes')) },
        raw: keyed(join(memV1, 'memory.stat')),
      }
    : v2
      ? {
          usage: { usage: num(join(v2, 'memory.current')), max: num(join(v2, 'memory.peak')), limit: num(join(v2, 'memory.max')) },
          swap: { usage: num(join(v2, 'memory.swap.current')), limit: num(join(v2, 'memory.swap.max')) },
          raw: keyed(join(v2, 'memory.stat')),
        }
      : { usage: {}, raw: {} }
  const pidsDir = v1('pids') ?? v2
  return {
    cpu: {
      // cpu.stat counts microseconds; runc reports nanoseconds
      usage: { total: (cpu.usage_usec ?? 0) * 1000, kernel: (cpu.system_usec ?? 0) * 1000, user: (cpu.user_usec ?? 0) * 1000 },
      throttling: { periods: cpu.nr_periods, throttled_periods: cpu.nr_throttled, throttled_time: cpu.throttled_usec !== undefined ? cpu.throttled_usec * 1000 : undefined },
    },
    memory,
    pids: pidsDir ? { current: num(join(pidsDir, 'pids.current')), limit: num(join(pidsDir, 'pids.max')) } : {},
  }
}

/** How many times the OOM killer ran in the container's memory cgroup. */
export function oomKills(rec: OciRecord): number {
  const memV1 = rec.cgroupV1?.find((l) => l.controller === 'memory')?.path
  const file = memV1 ? join(memV1, 'memory.oom_control') : rec.cgroup ? join(rec.cgroup.path, 'memory.events') : undefined
  return file ? keyed(file).oom_kill ?? 0 : 0
}
