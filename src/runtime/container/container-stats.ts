/**
 * `stats`: what a container uses, read from its cgroup v2 leaf where the
 * hierarchy offers the controller, else from /proc of its processes (a
 * hybrid host's v2 tree may have no memory, pids or io controller at all;
 * cpu.stat is part of the v2 core and always there):
 *
 *   CPU     cpu.stat usage_usec; else utime + stime of each process (proc(5))
 *   memory  memory.current and memory.max; on a hybrid host, its v1 memory
 *           leaf when it has one (v1Memory); else the sum of the processes'
 *           resident set (statm: shared pages count once per process) and
 *           the host's memory as the limit
 *   pids    pids.current; else the threads of each process
 *   block   io.stat rbytes/wbytes; else /proc/<pid>/io read_bytes/write_bytes
 *   net     /proc/<pid>/net/dev of its first process (its network
 *           namespace), lo left out as Docker leaves it; 0 with --network host
 *
 * Each figure says where it came from, so that a reader (and a test) can
 * tell the cgroup's accounting from the fallback.
 */
import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join } from 'node:path'
import type { ContainerInfo } from './containers.js'
import { networkMode } from './filter-containers.js'
import { containerPids } from './top-container.js'

export interface StatsSample {
  /** Wall clock, ms (performance.now scale). */
  at: number
  cpuUsec: number
  memoryBytes: number
  memoryLimit: number
  pids: number
  netRx: number
  netTx: number
  blockRead: number
  blockWrite: number
  /** 'cgroup' or 'proc' for each figure. */
  source: { cpu: Source; memory: Source; pids: Source; block: Source }
}

export type Source = 'cgroup' | 'proc'

const CLOCK_TICKS_PER_SECOND = 100 // sysconf(_SC_CLK_TCK) on Linux
const PAGE_SIZE = 4096

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** `key value` lines (cpu.stat, memory.stat). */
function keyed(text: string | undefined, key: string): number | undefined {
  const m = text === undefined ? null : new RegExp(`^${key} (\\d+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}

function procCpuUsec(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    const stat = read(`/proc/${pid}/stat`)
    if (!stat) continue
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime, stime, cutime, cstime: fields 14-17 of proc(5), 11-14 after the name; the
    // children's are those it has reaped, which are in no other process's count
    for (let i = 11; i <= 14; i++) ticks += Number(fields[i] ?? 0)
  }
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND
}

function procRss(pids: number[]): number {
  let pages = 0
  for (const pid of pids) pages += Number((read(`/proc/${pid}/statm`) ?? '').split(' ')[1] ?? 0)
  return pages * PAGE_SIZE
}

function procThreads(pids: number[]): number {
  let n = 0
  for (const pid of pids) n += keyedColon(read(`/proc/${pid}/status`), 'Threads') ?? 0
  return n
}

function keyedColon(text: string | undefined, key: string): number | undefined {
  const m = text === undefined ? null : new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}

function procIo(pids: number[]): { read: number; write: number } {
  let r = 0
  let w = 0
  for (const pid of pids) {
    const io = read(`/proc/${pid}/io`)
    r += keyedColon(io, 'read_bytes') ?? 0
    w += keyedColon(io, 'write_bytes') ?? 0
  }
  return { read: r, write: w }
}

/** io.stat: "MAJ:MIN rbytes=N wbytes=N ..." a device a line. */
function cgroupIo(text: string): { read: number; write: number } {
  let r = 0
  let w = 0
  for (const m of text.matchAll(/rbytes=(\d+) wbytes=(\d+)/g)) {
    r += Number(m[1])
    w += Number(m[2])
  }
  return { read: r, write: w }
}

/** /proc/<pid>/net/dev: bytes received and sent on every interface but lo. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0
  let tx = 0
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':')
    if (!rest || name!.trim() === 'lo') continue
    const f = rest.trim().split(/\s+/)
    rx += Number(f[0] ?? 0)
    tx += Number(f[8] ?? 0)
  }
  return { rx, tx }
}

/**
 * A v1 memory leaf (cgroup-v1.ts), read as Docker reads one: the usage less
 * the inactive page cache the kernel drops first (total_inactive_file;
 * docker/cli's calculateMemUsageUnixNoCache), and the limit. An unlimited
 * leaf's limit is PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB
 * pages), which Docker's daemon shows as the host's memory.
 */
function v1Memory(leaf: string): { bytes: number; limit: number } | undefined {
  const usage = read(join(leaf, 'memory.usage_in_bytes'))
  if (usage === undefined) return undefined
  const bytes = Number(usage)
  const inactive = keyed(read(join(leaf, 'memory.stat')), 'total_inactive_file') ?? 0
  const limit = Number(read(join(leaf, 'memory.limit_in_bytes')) ?? Infinity)
  return { bytes: inactive < bytes ? bytes - inactive : bytes, limit: Math.min(limit, totalmem()) }
}

export function sampleStats(c: ContainerInfo, now: () => number = () => performance.now()): StatsSample {
  const pids = c.status === 'running' ? containerPids(c) : []
  const leaf = c.status === 'running' ? c.cgroup : undefined
  const cpuStat = leaf ? read(join(leaf, 'cpu.stat')) : undefined
  const cgroupCpu = keyed(cpuStat, 'usage_usec')
  const memCurrent = leaf ? read(join(leaf, 'memory.current')) : undefined
  const memMax = leaf ? read(join(leaf, 'memory.max'))?.trim() : undefined
  // the memory controller bound to v1: the v2 leaf has no memory files
  const memoryV1Leaf = c.status === 'running' && memCurrent === undefined ? c.cgroupV1?.find((l) => l.controller === 'memory') : undefined
  const memV1 = memoryV1Leaf ? v1Memory(memoryV1Leaf.path) : undefined
  const pidsCurrent = leaf ? read(join(leaf, 'pids.current')) : undefined
  const ioStat = leaf ? read(join(leaf, 'io.stat')) : undefined
  const io = ioStat !== undefined ? cgroupIo(ioStat) : procIo(pids)
  const net = c.status === 'running' && c.pid && networkMode(c) !== 'host' ? parseNetDev(read(`/proc/${c.pid}/net/dev`) ?? '') : { rx: 0, tx: 0 }
  return {
    at: now(),
    cpuUsec: cgroupCpu ?? procCpuUsec(pids),
    memoryBytes: memCurrent !== undefined ? Number(memCurrent) : (memV1?.bytes ?? procRss(pids)),
    memoryLimit: memMax !== undefined && memMax !== 'max' ? Number(memMax) : (memV1?.limit ?? totalmem()),
    pids: pidsCurrent !== undefined ? Number(pidsCurrent) : procThreads(pids),
    netRx: net.rx,
    netTx: net.tx,
    blockRead: io.read,
    blockWrite: io.write,
    source: {
      cpu: cgroupCpu !== undefined ? 'cgroup' : 'proc',
      memory: memCurrent !== undefined || memV1 ? 'cgroup' : 'proc',
      pids: pidsCurrent !== undefined ? 'cgroup' : 'proc',
      block: ioStat !== undefined ? 'cgroup' : 'proc',
    },
  }
}

/** CPU use between two samples, in percent of one CPU (Docker's CPU %: 200% is two CPUs busy). */
export function cpuPercent(prev: StatsSample, cur: StatsSample): number {
  const wallUsec = (cur.at - prev.at) * 1000
  if (wallUsec <= 0) return 0
  return Math.max(0, ((cur.cpuUsec - prev.cpuUsec) / wallUsec) * 100)
}
