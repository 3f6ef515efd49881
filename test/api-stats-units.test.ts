// The stats endpoint's pieces without a container: /proc/stat and
// /proc/PID/net/dev as read, and the StatsJSON Docker's client computes its
// columns from (docker/cli stats_helpers.go: CPU %, memory, block I/O).
import { describe, expect, it } from 'vitest'
import { hostCpu, statsJson } from '../src/api/api-stats.js'
import { parseNetDev, parseNetDevInterfaces, type StatsSample } from '../src/runtime/container/container-stats.js'

const PROC_STAT = `cpu  100 5 50 1000 20 3 2 7 0 0
cpu0 50 2 25 500 10 1 1 3 0 0
cpu1 50 3 25 500 10 2 1 4 0 0
intr 12345
ctxt 999
`

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     840      10    0    0    0     0          0         0      840      10    0    0    0     0       0          0
  eth0:    1500      12    1    2    0     0          0         0      700       6    3    4    0     0       0          0
  eth1:      10       1    0    0    0     0          0         0       20       2    0    0    0     0       0          0
`

describe('the stats endpoint\'s readings', () => {
  it('/proc/stat: user to softirq of the cpu line, as Docker adds them, in ns; the cpuN lines are the online CPUs', () => {
    // 100+5+50+1000+20+3+2 ticks (steal left out) at 100 a second
    expect(hostCpu(PROC_STAT)).toEqual({ systemNs: 1180 * 1e7, onlineCpus: 2 })
    expect(hostCpu('')).toEqual({ systemNs: 0, onlineCpus: 0 })
  })

  it('/proc/PID/net/dev: each interface but lo, received and sent; the sums stats shows', () => {
    const m = parseNetDevInterfaces(NET_DEV)
    expect([...m.keys()]).toEqual(['eth0', 'eth1'])
    expect(m.get('eth0')).toEqual({ rxBytes: 1500, rxPackets: 12, rxErrors: 1, rxDropped: 2, txBytes: 700, txPackets: 6, txErrors: 3, txDropped: 4 })
    expect(parseNetDev(NET_DEV)).toEqual({ rx: 1510, tx: 720 })
  })

  it('a StatsJSON from two samples: Docker\'s CPU % of one CPU, the memory, block I/O and pids as the client reads them', () => {
    const stats = (cpuUsec: number): StatsSample => ({
      at: 0,
      cpuUsec,
      memoryBytes: 3 << 20,
      memoryLimit: 1 << 30,
      pids: 4,
      netRx: 0,
      netTx: 0,
      blockRead: 4096,
      blockWrite: 8192,
      source: { cpu: 'cgroup', memory: 'cgroup', pids: 'cgroup', block: 'cgroup' },
    })
    const prev = { read: '2026-12-06T10:00:00.000Z', stats: stats(1_000_000), systemNs: 100e9, onlineCpus: 2, networks: {} }
    const cur = { read: '2026-12-06T10:00:01.000Z', stats: stats(1_500_000), systemNs: 102e9, onlineCpus: 2, networks: { eth0: { rx_bytes: 5, tx_bytes: 6 } } }
    const j = statsJson({ id: 'abc', name: 'web' }, cur, prev) as any
    expect(j).toMatchObject({ name: '/web', id: 'abc', read: cur.read, preread: prev.read, pids_stats: { current: 4 }, memory_stats: { usage: 3 << 20, limit: 1 << 30 }, networks: cur.networks })
    // docker/cli calculateCPUPercentUnix: 0.5 s of CPU in 1 s of two CPUs' time (2 s) times 2 CPUs = 50%
    const cpuDelta = j.cpu_stats.cpu_usage.total_usage - j.precpu_stats.cpu_usage.total_usage
    const systemDelta = j.cpu_stats.system_cpu_usage - j.precpu_stats.system_cpu_usage
    expect((cpuDelta / systemDelta) * j.cpu_stats.online_cpus * 100).toBe(50)
    // calculateBlockIO: the ops that begin with r and w
    expect(j.blkio_stats.io_service_bytes_recursive).toEqual([
      { major: 0, minor: 0, op: 'read', value: 4096 },
      { major: 0, minor: 0, op: 'write', value: 8192 },
    ])
    // the first of a stream has no precpu, and a container that does not run is zeros with its name
    const first = statsJson({ id: 'abc', name: 'web' }, cur, undefined) as any
    expect(first.preread).toBe('0001-01-01T00:00:00Z')
    expect(first.precpu_stats.cpu_usage.total_usage).toBe(0)
    const stopped = statsJson({ id: 'abc', name: 'web' }, { read: '0001-01-01T00:00:00Z', systemNs: 0, onlineCpus: 0, networks: {} }, undefined) as any
    expect(stopped).toMatchObject({ name: '/web', read: '0001-01-01T00:00:00Z', memory_stats: {}, pids_stats: {}, cpu_stats: { cpu_usage: { total_usage: 0 } } })
    expect(stopped.networks).toBeUndefined()
  })
})
