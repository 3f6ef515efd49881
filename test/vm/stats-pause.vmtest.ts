// stats and pause on a kernel whose cgroup v2 hierarchy has the memory and
// pids controllers: the figures come from the container's own cgroup
// (memory.current, memory.max, pids.current, cpu.stat), not from /proc,
// and they move with what the container does; pause freezes it through
// cgroup.freeze and unpause thaws it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { BUSYBOX, describeOnKernel, parseKeyed, until } from './kernel-test-env.js'

const MiB = 1024 * 1024

/** "20.5MiB" -> bytes (go-units binary sizes). */
function bytes(text: string): number {
  const m = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(text)
  if (!m) throw new Error(`not a size: ${text}`)
  return Number(m[1]) * { B: 1, KiB: 1024, MiB: MiB, GiB: 1024 * MiB }[m[2] as 'B']!
}

describeOnKernel('stats and pause on a pure cgroup v2 kernel', (env) => {
  it('stats --no-stream reads memory, pids and CPU from the cgroup, and they move', async () => {
    // the controllers, delegated from the (throwaway VM's) root down to the containers' parent
    const parent = join(env.cgroupRoot, env.cgroupParent)
    mkdirSync(parent, { recursive: true })
    for (const dir of [env.cgroupRoot, parent]) writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory +pids')
    // 24 MiB written to /dev/shm (tmpfs pages are charged to the cgroup), then a busy loop and 3 more tasks
    const id = env.detached([BUSYBOX, 'sh', '-c',
      'dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; sleep 600 & sleep 600 & sleep 600 & touch /tmp/ready; while :; do :; done'])
    expect(existsSync(join(parent, id, 'memory.current'))).toBe(true)
    await until('the container to fill its memory', () => env.run(['exec', id, 'test', '-e', '/tmp/ready']).status === 0)
    const r = env.run(['stats', '--no-stream', '--format', '{{json .}}', id])
    expect(r.stderr).toBe('')
    const s = JSON.parse(r.stdout) as { MemUsage: string; PIDs: string; CPUPerc: string; MemPerc: string }
    const [used, limit] = s.MemUsage.split(' / ')
    // memory.max is "max": the host's memory is the limit, as in Docker
    expect(bytes(limit!)).toBeCloseTo(totalmem(), -7)
    const current = Number(env.cgroupFile(id, 'memory.current'))
    expect(bytes(used!)).toBeGreaterThan(24 * MiB)
    // the same figure as the cgroup's, give or take what changed between the two reads
    expect(Math.abs(bytes(used!) - current)).toBeLessThan(4 * MiB)
    expect(Number(s.PIDs)).toBe(Number(env.cgroupFile(id, 'pids.current')))
    expect(Number(s.PIDs)).toBe(4) // the shell (the busy loop) and its three sleeps
    expect(parseFloat(s.CPUPerc)).toBeGreaterThan(30)
  })

  it('pause freezes the whole cgroup (cgroup.events frozen 1, CPU stops), unpause thaws it', async () => {
    const id = env.detached([BUSYBOX, 'sh', '-c', 'while :; do :; done'])
    expect(env.run(['pause', id]).status).toBe(0)
    expect(parseKeyed(env.cgroupFile(id, 'cgroup.events')).frozen).toBe(1)
    const usage = () => parseKeyed(env.cgroupFile(id, 'cpu.stat')).usage_usec!
    const before = usage()
    await new Promise((r) => setTimeout(r, 500))
    expect(usage() - before).toBeLessThan(20_000)
    expect(env.inspect(id).State.Status).toBe('paused')
    expect(env.run(['unpause', id]).status).toBe(0)
    expect(parseKeyed(env.cgroupFile(id, 'cgroup.events')).frozen).toBe(0)
    const thawed = usage()
    await new Promise((r) => setTimeout(r, 500))
    expect(usage() - thawed).toBeGreaterThan(100_000)
  })
})
