/**
 * What a container's cgroup says it uses, read as Docker's `stats` reads
 * it (container/container-stats.ts asks). Docker's daemon passes the
 * cgroup's counters on (containerd's cgroup1/cgroup2 Stat) and its CLI
 * does the arithmetic (docker/cli cli/command/container/stats_helpers.go):
 *
 *   memory  usage less the inactive file pages, the page cache the kernel
 *           drops first (calculateMemUsageUnixNoCache): total_inactive_file
 *           of a v1 memory.stat, inactive_file of a v2 one; the usage as
 *           it is when they are not fewer
 *   block   the bytes of the "Read" and "Write" lines of
 *           io_service_bytes_recursive (calculateBlockIO); a v2 leaf's
 *           io.stat rbytes/wbytes are those lines on v2 (moby's statsV2)
 *
 * Each reader returns undefined when the leaf lacks the controller's
 * files (a hybrid host's v2 tree often has no memory or io controller).
 */
import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join } from 'node:path'

export interface MemoryUsage {
  bytes: number
  limit: number
}

export interface BlockIo {
  read: number
  write: number
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** A `key value` line of a flat-keyed file (cpu.stat, memory.stat). */
export function keyedValue(text: string | undefined, key: string): number | undefined {
  const m = text === undefined ? null : new RegExp(`^${key} (\\d+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}

/** docker/cli's calculateMemUsageUnixNoCache: the usage less the inactive file pages, unless they are not fewer. */
export function usageNoCache(usage: number, inactiveFile: number | undefined): number {
  return inactiveFile !== undefined && inactiveFile < usage ? usage - inactiveFile : usage
}

/**
 * A v2 leaf's memory: memory.current less memory.stat's inactive_file, and
 * memory.max ("max": the host's memory, as Docker's daemon shows it).
 */
export function v2Memory(leaf: string): MemoryUsage | undefined {
  const current = read(join(leaf, 'memory.current'))
  if (current === undefined) return undefined
  const max = read(join(leaf, 'memory.max'))?.trim()
  const inactive = keyedValue(read(join(leaf, 'memory.stat')), 'inactive_file')
  return { bytes: usageNoCache(Number(current), inactive), limit: max !== undefined && max !== 'max' ? Number(max) : totalmem() }
}

/**
 * A v1 memory leaf (cgroup-v1.ts): memory.usage_in_bytes less memory.stat's
 * total_inactive_file (the hierarchy's, this leaf and below). An unlimited
 * leaf's limit is PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB
 * pages), which Docker's daemon shows as the host's memory.
 */
export function v1Memory(leaf: string): MemoryUsage | undefined {
  const usage = read(join(leaf, 'memory.usage_in_bytes'))
  if (usage === undefined) return undefined
  const inactive = keyedValue(read(join(leaf, 'memory.stat')), 'total_inactive_file')
  const limit = Number(read(join(leaf, 'memory.limit_in_bytes')) ?? Infinity)
  return { bytes: usageNoCache(Number(usage), inactive), limit: Math.min(limit, totalmem()) }
}

/** io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..." a device a line (cgroup-v2.rst). */
export function parseIoStat(text: string): BlockIo {
  let r = 0
  let w = 0
  for (const line of text.split('\n')) {
    r += Number(/\brbytes=(\d+)/.exec(line)?.[1] ?? 0)
    w += Number(/\bwbytes=(\d+)/.exec(line)?.[1] ?? 0)
  }
  return { read: r, write: w }
}

/**
 * A blkio io_service_bytes file: "MAJ:MIN Op N" lines, Op one of Read,
 * Write, Sync, Async, Discard, Total, and a last "Total N". Docker counts
 * the ops that begin with r and with w (calculateBlockIO).
 */
export function parseBlkioServiceBytes(text: string): BlockIo {
  let r = 0
  let w = 0
  for (const line of text.split('\n')) {
    const m = /^\d+:\d+ (\S+) (\d+)$/.exec(line.trim())
    if (!m) continue
    const op = m[1]![0]!.toLowerCase()
    if (op === 'r') r += Number(m[2])
    else if (op === 'w') w += Number(m[2])
  }
  return { read: r, write: w }
}

/** A v2 leaf's io.stat, when the io controller is there. */
export function v2Io(leaf: string): BlockIo | undefined {
  const text = read(join(leaf, 'io.stat'))
  return text === undefined ? undefined : parseIoStat(text)
}

/**
 * A v1 blkio leaf, read as containerd's cgroup1 blkio Stat reads it for
 * Docker: the CFQ/BFQ-era blkio.io_service_bytes_recursive when the leaf
 * has blkio.io_serviced_recursive and it counted anything, else the
 * throttling layer's blkio.throttle.io_service_bytes, which counts every
 * bio that reaches a device whatever its scheduler (Linux 5.0 removed CFQ:
 * this is the file a current kernel fills).
 */
export function v1Blkio(leaf: string): BlockIo | undefined {
  const cfq = read(join(leaf, 'blkio.io_serviced_recursive')) !== undefined ? read(join(leaf, 'blkio.io_service_bytes_recursive')) : undefined
  if (cfq !== undefined && /^\d+:\d+ /m.test(cfq)) return parseBlkioServiceBytes(cfq)
  const throttle = read(join(leaf, 'blkio.throttle.io_service_bytes'))
  return throttle === undefined ? undefined : parseBlkioServiceBytes(throttle)
}
