/**
 * `stats`: what a container uses, read from its cgroup v2 leaf where the
 * hierarchy offers the controller, else from /proc of its processes (a
 * hybrid host's v2 tree may have no memory, pids or io controller at all;
 * cpu.stat is part of the v2 core and always there):
 *
 *   CPU     cpu.stat usage_usec; else utime + stime of each process (proc(5))
 *   memory  memory.current and memory.max; on a hybrid host, its v1 memory
 *           leaf when it has one; both less the inactive page cache, as
 *           Docker's CLI counts (cgroup/cgroup-usage.ts); else the sum of
 *           the processes' resident set (statm: shared pages count once per
 *           process) and the host's memory as the limit
 *   pids    pids.current; else the threads of each process
 *   block   io.stat rbytes/wbytes; on a hybrid host, its v1 blkio leaf when
 *           it has one (a blkio limit made it); else /proc/<pid>/io
 *           read_bytes/write_bytes
 *   net     /proc/<pid>/net/dev of its first process (its network
 *           namespace), lo left out as Docker leaves it; 0 with --network host
 *
 * Each figure says where it came from, so that a reader (and a test) can
 * tell the cgroup's accounting from the fallback.
 */
import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join } from 'node:path'
import { keyedValue as keyed, v1Blkio, v1Memory, v2Io, v2Memory } from '../cgroup/cgroup-usage.js'
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

/** An interface's counters in /proc/<pid>/net/dev: received, then transmitted. */
export interface NetDevCounters {
  rxBytes: number
  rxPackets: number
  rxErrors: number
  rxDropped: number
  txBytes: number
  txPackets: number
  txErrors: number
  txDropped: number
}

/** /proc/<pid>/net/dev: each interface's counters but lo's. */
export function parseNetDevInterfaces(text: string): Map<string, NetDevCounters> {
  const out = new Map<string, NetDevCounters>()
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim()
    if (colon === -1 || name === 'lo') continue
    const f = line.slice(colon + 1).trim().split(/\s+/).map((v) => Number(v) || 0)
    out.set(name, { rxBytes: f[0] ?? 0, rxPackets: f[1] ?? 0, rxErrors: f[2] ?? 0, rxDropped: f[3] ?? 0, txBytes: f[8] ?? 0, txPackets: f[9] ?? 0, txErrors: f[10] ?? 0, txDropped: f[11] ?? 0 })
  }
  return out
}

/** /proc/<pid>/net/dev: bytes received and sent on every interface but lo. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0
  let tx = 0
  for (const c of parseNetDevInterfaces(text).values()) {
    rx += c.rxBytes
    tx += c.txBytes
  }
  return { rx, tx }
}

/** A running container's interfaces (none with --network host, whose are the host's). */
export function containerInterfaces(c: ContainerInfo): Map<string, NetDevCounters> {
  return c.status === 'running' && c.pid && networkMode(c) !== 'host' ? parseNetDevInterfaces(read(`/proc/${c.pid}/net/dev`) ?? '') : new Map()
}

export function sampleStats(c: ContainerInfo, now: () => number = () => performance.now()): StatsSample {
  const pids = c.status === 'running' ? containerPids(c) : []
  const leaf = c.status === 'running' ? c.cgroup : undefined
  const cpuStat = leaf ? read(join(leaf, 'cpu.stat')) : undefined
  const cgroupCpu = keyed(cpuStat, 'usage_usec')
  const memV2 = leaf ? v2Memory(leaf) : undefined
  // a controller bound to v1 (a hybrid host): the v2 leaf lacks its files
  const v1Leaf = (controller: string) => (c.status === 'running' ? c.cgroupV1?.find((l) => l.controller === controller)?.path : undefined)
  const memoryV1Leaf = memV2 === undefined ? v1Leaf('memory') : undefined
  const mem = memV2 ?? (memoryV1Leaf ? v1Memory(memoryV1Leaf) : undefined)
  const pidsCurrent = leaf ? read(join(leaf, 'pids.current')) : undefined
  const ioV2 = leaf ? v2Io(leaf) : undefined
  const blkioV1Leaf = ioV2 === undefined ? v1Leaf('blkio') : undefined
  const ioCgroup = ioV2 ?? (blkioV1Leaf ? v1Blkio(blkioV1Leaf) : undefined)
  const io = ioCgroup ?? procIo(pids)
  let net = { rx: 0, tx: 0 }
  for (const i of containerInterfaces(c).values()) net = { rx: net.rx + i.rxBytes, tx: net.tx + i.txBytes }
  return {
    at: now(),
    cpuUsec: cgroupCpu ?? procCpuUsec(pids),
    memoryBytes: mem?.bytes ?? procRss(pids),
    memoryLimit: mem?.limit ?? totalmem(),
    pids: pidsCurrent !== undefined ? Number(pidsCurrent) : procThreads(pids),
    netRx: net.rx,
    netTx: net.tx,
    blockRead: io.read,
    blockWrite: io.write,
    source: {
      cpu: cgroupCpu !== undefined ? 'cgroup' : 'proc',
      memory: mem ? 'cgroup' : 'proc',
      pids: pidsCurrent !== undefined ? 'cgroup' : 'proc',
      block: ioCgroup ? 'cgroup' : 'proc',
    },
  }
}

/** CPU use between two samples, in percent of one CPU (Docker's CPU %: 200% is two CPUs busy). */
export function cpuPercent(prev: StatsSample, cur: StatsSample): number {
  const wallUsec = (cur.at - prev.at) * 1000
  if (wallUsec <= 0) return 0
  return Math.max(0, ((cur.cpuUsec - prev.cpuUsec) / wallUsec) * 100)
}
