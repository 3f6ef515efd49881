// `stats` from a container's cgroup files, as Docker's CLI counts them
// (docker/cli stats_helpers.go: calculateMemUsageUnixNoCache,
// calculateBlockIO). The leaves are fixture directories: a pure cgroup v2
// leaf, and a hybrid host's v2 leaf without controllers beside v1 memory
// and blkio leaves; no root, and the host's cgroups are never touched.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseBlkioServiceBytes, parseIoStat } from '../src/runtime/cgroup/cgroup-usage.js'
import type { ContainerInfo } from '../src/runtime/container/containers.js'
import { sampleStats } from '../src/runtime/container/container-stats.js'

const MiB = 1 << 20
const root = mkdtempSync(join(tmpdir(), 'mini-run-stats-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function leaf(name: string, files: Record<string, string>): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text)
  return dir
}

function running(fields: Partial<ContainerInfo>): ContainerInfo {
  return { id: 'c'.repeat(64), name: 'c', command: ['sh'], created: new Date().toISOString(), status: 'running', hostNetwork: true, ...fields } as ContainerInfo
}

// a v2 memory.stat, cut down (cgroup-v2.rst's keys, in the kernel's order)
const MEMORY_STAT_V2 = ['anon 20971520', 'file 62914560', 'kernel 1048576', 'shmem 0', 'active_anon 20971520', 'inactive_anon 0', 'active_file 10485760', 'inactive_file 52428800', 'unevictable 0', ''].join('\n')

// blkio.throttle.io_service_bytes of a v1 leaf: two devices, then the total
const THROTTLE_BYTES = [
  '8:0 Read 1048576', '8:0 Write 4194304', '8:0 Sync 4194304', '8:0 Async 1048576', '8:0 Discard 0', '8:0 Total 5242880',
  '253:1 Read 65536', '253:1 Write 0', '253:1 Sync 0', '253:1 Async 65536', '253:1 Discard 0', '253:1 Total 65536',
  'Total 5308416', '',
].join('\n')

describe('stats on a cgroup v2 leaf', () => {
  it('memory is memory.current less inactive_file, as Docker\'s CLI counts it; the limit is memory.max', () => {
    const v2 = leaf('v2', {
      'cgroup.procs': '', 'cpu.stat': 'usage_usec 1000\nuser_usec 600\nsystem_usec 400\n',
      'memory.current': `${100 * MiB}\n`, 'memory.max': `${256 * MiB}\n`, 'memory.stat': MEMORY_STAT_V2,
      'pids.current': '3\n', 'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
    })
    const s = sampleStats(running({ cgroup: v2 }))
    expect(s.memoryBytes).toBe(100 * MiB - 50 * MiB)
    expect(s.memoryLimit).toBe(256 * MiB)
    expect(s.source).toEqual({ cpu: 'cgroup', memory: 'cgroup', pids: 'cgroup', block: 'cgroup' })
    expect([s.blockRead, s.blockWrite, s.pids]).toEqual([4096, 8192, 3])
  })

  it('inactive_file not below the usage: the usage as it is', () => {
    const v2 = leaf('v2-small', { 'cgroup.procs': '', 'memory.current': '4096\n', 'memory.max': 'max\n', 'memory.stat': 'inactive_file 8192\n' })
    expect(sampleStats(running({ cgroup: v2 })).memoryBytes).toBe(4096)
  })

  it('io.stat: every device\'s rbytes and wbytes, whatever keys follow', () => {
    expect(parseIoStat('8:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n253:0 rbytes=5 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n')).toEqual({ read: 15, write: 20 })
  })
})

describe('stats on a hybrid host: v1 leaves beside a v2 leaf without controllers', () => {
  it('block I/O is the v1 blkio leaf\'s blkio.throttle.io_service_bytes (Read and Write lines), not /proc', () => {
    const v2 = leaf('hybrid/v2', { 'cgroup.procs': '', 'cpu.stat': 'usage_usec 10\n' })
    const blkio = leaf('hybrid/blkio', { 'blkio.throttle.io_service_bytes': THROTTLE_BYTES, 'blkio.throttle.io_service_bytes_recursive': THROTTLE_BYTES })
    const s = sampleStats(running({ cgroup: v2, cgroupV1: [{ controller: 'blkio', path: blkio }] }))
    expect(s.source.block).toBe('cgroup')
    expect([s.blockRead, s.blockWrite]).toEqual([MiB + 65536, 4 * MiB])
  })

  it('a CFQ/BFQ kernel\'s io_service_bytes_recursive first, when it counted anything (containerd\'s order)', () => {
    const cfq = leaf('hybrid/cfq', {
      'blkio.io_serviced_recursive': '8:0 Read 1\n8:0 Write 1\nTotal 2\n', 'blkio.io_service_bytes_recursive': '8:0 Read 512\n8:0 Write 1024\n8:0 Total 1536\nTotal 1536\n',
      'blkio.throttle.io_service_bytes': THROTTLE_BYTES,
    })
    const idle = leaf('hybrid/cfq-idle', { 'blkio.io_serviced_recursive': 'Total 0\n', 'blkio.io_service_bytes_recursive': 'Total 0\n', 'blkio.throttle.io_service_bytes': '8:0 Read 7\n8:0 Write 9\nTotal 16\n' })
    const v2 = leaf('hybrid/v2b', { 'cgroup.procs': '' })
    const io = (path: string) => sampleStats(running({ cgroup: v2, cgroupV1: [{ controller: 'blkio', path }] }))
    expect([io(cfq).blockRead, io(cfq).blockWrite]).toEqual([512, 1024])
    expect([io(idle).blockRead, io(idle).blockWrite]).toEqual([7, 9])
  })

  it('memory is the v1 leaf\'s usage less total_inactive_file', () => {
    const v2 = leaf('hybrid/v2c', { 'cgroup.procs': '' })
    const memory = leaf('hybrid/memory', {
      'memory.usage_in_bytes': `${40 * MiB}\n`, 'memory.limit_in_bytes': `${64 * MiB}\n`,
      'memory.stat': `cache ${30 * MiB}\ninactive_file ${1 * MiB}\ntotal_cache ${30 * MiB}\ntotal_inactive_file ${25 * MiB}\n`,
    })
    const s = sampleStats(running({ cgroup: v2, cgroupV1: [{ controller: 'memory', path: memory }] }))
    expect([s.memoryBytes, s.memoryLimit, s.source.memory]).toEqual([15 * MiB, 64 * MiB, 'cgroup'])
  })

  it('io_service_bytes: Read and Write lines only; Sync, Async, Discard and the totals are not counted', () => {
    expect(parseBlkioServiceBytes(THROTTLE_BYTES)).toEqual({ read: MiB + 65536, write: 4 * MiB })
    expect(parseBlkioServiceBytes('Total 0\n')).toEqual({ read: 0, write: 0 })
  })
})
