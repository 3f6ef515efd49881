/**
 * GET /containers/ID/stats: Docker's stats JSON (types.StatsJSON), from the
 * sample `mini-run stats` reads (container-stats.ts: the cgroup's figures,
 * else /proc's), so that `docker stats` through the service and `mini-run
 * stats` count alike. Docker's client computes its columns from it:
 *
 *   CPU %    (cpu_stats - precpu_stats).total_usage over the same change in
 *            system_cpu_usage (the host's CPU time, /proc/stat), times
 *            online_cpus: the percent of one CPU, as `mini-run stats`
 *   MEM      memory_stats.usage (already without the inactive page cache,
 *            which Docker's client would take off: stats has no
 *            inactive_file to take) and .limit
 *   NET I/O  the sum of networks' rx_bytes and tx_bytes (lo left out)
 *   BLOCK    blkio_stats.io_service_bytes_recursive's read and write
 *   PIDS     pids_stats.current
 *
 * stream=true (the default) sends a sample a second until the client goes
 * or the container is removed, the first without precpu_stats, as
 * Docker's; stream=false waits for a second sample so that the CPU has
 * something to compare with (Docker's "prime the cpu stats"), and
 * one-shot=true sends the first at once. A container that is not running
 * gets samples of zeros, with its name and id.
 */
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { ApiError } from './cli-call.js'
import { apiHeaders, queryBool } from './api-http.js'
import { containerOf } from './container-ref.js'
import type { Call, Service } from './service.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { containerInterfaces, sampleStats, type StatsSample } from '../runtime/container/container-stats.js'

const STREAM_INTERVAL_MS = 1000
/** Between the two samples of stream=false, as `mini-run stats --no-stream`. */
const PRIME_MS = 500
const CLOCK_TICKS_PER_SECOND = 100
/** Go's zero time.Time, which Docker writes for a read that never was. */
const ZERO_TIME = '0001-01-01T00:00:00Z'

interface Sample {
  read: string
  stats?: StatsSample
  /** The host's CPU time, ns (Docker's system_cpu_usage). */
  systemNs: number
  onlineCpus: number
  networks: Record<string, Record<string, number>>
}

/** /proc/stat's cpu line (user to softirq, as Docker's getSystemCPUUsage adds them) in ns, and the cpuN lines. */
export function hostCpu(text: string): { systemNs: number; onlineCpus: number } {
  const lines = text.split('\n')
  const total = (lines.find((l) => /^cpu\s/.test(l)) ?? '').trim().split(/\s+/).slice(1, 8).reduce((n, v) => n + (Number(v) || 0), 0)
  return { systemNs: (total * 1e9) / CLOCK_TICKS_PER_SECOND, onlineCpus: lines.filter((l) => /^cpu\d+\s/.test(l)).length }
}

function sample(c: ContainerInfo): Sample {
  const host = hostCpu(readFileSync('/proc/stat', 'utf8'))
  if (c.status !== 'running') return { read: ZERO_TIME, systemNs: 0, onlineCpus: 0, networks: {} }
  const networks: Sample['networks'] = {}
  for (const [name, n] of containerInterfaces(c)) {
    networks[name] = { rx_bytes: n.rxBytes, rx_packets: n.rxPackets, rx_errors: n.rxErrors, rx_dropped: n.rxDropped, tx_bytes: n.txBytes, tx_packets: n.txPackets, tx_errors: n.txErrors, tx_dropped: n.txDropped }
  }
  return { read: new Date().toISOString(), stats: sampleStats(c), ...host, networks }
}

function cpuStats(s: Sample | undefined): Record<string, unknown> {
  return {
    cpu_usage: { total_usage: Math.round((s?.stats?.cpuUsec ?? 0) * 1000), usage_in_kernelmode: 0, usage_in_usermode: 0 },
    ...(s?.stats && { system_cpu_usage: Math.round(s.systemNs), online_cpus: s.onlineCpus }),
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  }
}

/** One StatsJSON: this sample, with the one before as precpu. */
export function statsJson(c: Pick<ContainerInfo, 'id' | 'name'>, cur: Sample, prev: Sample | undefined): Record<string, unknown> {
  const s = cur.stats
  const blkio = s ? [{ major: 0, minor: 0, op: 'read', value: s.blockRead }, { major: 0, minor: 0, op: 'write', value: s.blockWrite }] : null
  return {
    read: cur.read,
    preread: prev?.read ?? ZERO_TIME,
    pids_stats: s ? { current: s.pids } : {},
    blkio_stats: { io_service_bytes_recursive: blkio, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(prev),
    memory_stats: s ? { usage: s.memoryBytes, limit: s.memoryLimit, stats: {} } : {},
    name: `/${c.name}`,
    id: c.id,
    ...(s && { networks: cur.networks }),
  }
}

/** The container as it is now, or undefined once it is removed. */
function current(svc: Service, id: string): ContainerInfo | undefined {
  try {
    return containerOf(svc, id)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined
    throw err
  }
}

function writeFrame(res: ServerResponse, frame: unknown): void {
  res.write(`${JSON.stringify(frame)}\n`)
}

export async function statsRoute({ svc, res, params, query }: Call): Promise<void> {
  let c = containerOf(svc, params[0]!)
  const stream = query.get('stream') === null || queryBool(query, 'stream')
  const oneShot = queryBool(query, 'one-shot')
  if (stream && oneShot) throw new ApiError(400, 'cannot have stream=true and one-shot=true')
  let gone = false
  res.once('close', () => (gone = true))
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/json' })
  let prev: Sample | undefined
  let cur = sample(c)
  if (!stream) {
    if (!oneShot && c.status === 'running') {
      await sleep(PRIME_MS)
      c = current(svc, c.id) ?? c
      ;[prev, cur] = [cur, sample(c)]
    }
    return void res.end(`${JSON.stringify(statsJson(c, cur, prev))}\n`)
  }
  for (;;) {
    writeFrame(res, statsJson(c, cur, prev))
    await sleep(STREAM_INTERVAL_MS)
    const now = current(svc, c.id)
    if (gone || !now) break
    c = now
    ;[prev, cur] = [cur, sample(c)]
  }
  res.end()
}
