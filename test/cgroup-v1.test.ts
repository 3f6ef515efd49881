// cgroup v1 on a hybrid host (issue 11): a limit whose controller the v2
// tree lacks goes to the controller's v1 hierarchy, nested under the
// caller's own cgroup. Parsing and placement are pure (fake host data);
// the integration tests run where v2 lacks the memory controller and v1
// has it, as on this machine.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { bytesSize } from '../src/cli/format/units.js'
import { ALWAYS_ALLOWED_DEVICES, deviceAllowed, deviceRuleLine } from '../src/runtime/cgroup/cgroup-devices.js'
import { placedLimitFiles, v1LeavesFor, type CgroupHost } from '../src/runtime/cgroup/cgroup-placement.js'
import { cgroupPathIn, findV1Hierarchies, limitFilesV1, ownCgroups } from '../src/runtime/cgroup/cgroup-v1.js'
import { isRoot, makeTestEnv } from './helpers/test-env.js'

const MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n')

const PROC_CGROUP = '9:name=systemd:/\n4:memory:/sandbox/abc\n2:cpu,cpuacct:/\n0::/init.scope\n'

const host: CgroupHost = {
  v2Mount: '/sys/fs/cgroup/unified',
  v2Controllers: ['hugetlb'],
  v1: findV1Hierarchies(MOUNTINFO),
  own: ownCgroups(PROC_CGROUP),
}

describe('reading the host', () => {
  it('finds the v1 hierarchies with their controllers, not named ones or cgroup2', () => {
    expect(findV1Hierarchies(MOUNTINFO)).toEqual([
      { mount: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'] },
      { mount: '/sys/fs/cgroup/memory', controllers: ['memory'] },
    ])
  })

  it('reads the caller\'s own cgroups, v2 and per v1 controller', () => {
    const own = ownCgroups(PROC_CGROUP)
    expect(own.v2).toBe('/init.scope')
    expect(Object.fromEntries(own.v1)).toEqual({ memory: '/sandbox/abc', cpu: '/', cpuacct: '/' })
  })

  it('puts a relative path under the caller\'s cgroup, an absolute one under the root, and refuses one that climbs out', () => {
    expect(cgroupPathIn('/sys/fs/cgroup/memory', '/sandbox/abc', 'mini-run/c1')).toBe('/sys/fs/cgroup/memory/sandbox/abc/mini-run/c1')
    expect(cgroupPathIn('/sys/fs/cgroup/memory', '/sandbox/abc', '/libpod_parent/c1')).toBe('/sys/fs/cgroup/memory/libpod_parent/c1')
    expect(() => cgroupPathIn('/sys/fs/cgroup/memory', '/', '../../../etc')).toThrow(/leaves the cgroup hierarchy/)
  })
})

describe('placing limits', () => {
  const leafIn = (mount: string, own: string) => cgroupPathIn(mount, own, 'mini-run/c1')

  it('gives a controller the v2 tree lacks a v1 leaf under the caller\'s own cgroup, and writes v1 files there', () => {
    const r = { memory: { limit: 16 << 20, swap: 16 << 20 }, hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }
    const leaves = v1LeavesFor(r, host, leafIn, (c) => c, { removeParents: true })
    expect(leaves).toEqual([
      { controller: 'memory', path: '/sys/fs/cgroup/memory/sandbox/abc/mini-run/c1', base: '/sys/fs/cgroup/memory/sandbox/abc' },
    ])
    expect(placedLimitFiles(r, '/sys/fs/cgroup/unified/mini-run/c1', leaves).map((f) => `${f.path}=${f.value}`)).toEqual([
      // hugetlb is in v2 here: its v2 file
      '/sys/fs/cgroup/unified/mini-run/c1/hugetlb.2MB.max=0',
      '/sys/fs/cgroup/memory/sandbox/abc/mini-run/c1/memory.limit_in_bytes=16777216',
      '/sys/fs/cgroup/memory/sandbox/abc/mini-run/c1/memory.memsw.limit_in_bytes=16777216',
    ])
  })

  it('names the base of a leaf under the root cgroup without a trailing slash (its empty parents go with it)', () => {
    const rootOwn: CgroupHost = { ...host, own: ownCgroups('4:memory:/\n0::/\n') }
    expect(v1LeavesFor({ memory: { limit: 1 } }, rootOwn, leafIn, (c) => c, { removeParents: true })).toEqual([
      { controller: 'memory', path: '/sys/fs/cgroup/memory/mini-run/c1', base: '/sys/fs/cgroup/memory' },
    ])
  })

  it('refuses, naming the controller, one that neither v2 nor v1 offers', () => {
    expect(() => v1LeavesFor({ pids: { limit: 5 } }, host, leafIn, () => '--pids-limit')).toThrow(
      /^--pids-limit needs the "pids" cgroup controller: the cgroup v2 hierarchy at \/sys\/fs\/cgroup\/unified does not offer it, nor does any cgroup v1 hierarchy$/,
    )
  })

  it('writes v1 files in the order the kernel accepts: memory before memory+swap, the period before the quota', () => {
    const files = limitFilesV1({ memory: { limit: 1, swap: 2, reservation: 3, swappiness: 0, disableOOMKiller: true }, cpu: { quota: 50000, period: 100000, shares: 512 } })
    expect(files.map((f) => `${f.file}=${f.value}`)).toEqual([
      'memory.limit_in_bytes=1', 'memory.memsw.limit_in_bytes=2', 'memory.soft_limit_in_bytes=3', 'memory.swappiness=0',
      'memory.oom_control=1', 'cpu.shares=512', 'cpu.cfs_period_us=100000', 'cpu.cfs_quota_us=50000',
    ])
  })
})

describe('device rules', () => {
  it('writes them as the v1 devices controller takes them', () => {
    expect(deviceRuleLine({ allow: false, access: 'rwm' })).toBe('a')
    expect(deviceRuleLine({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' })).toBe('c 1:3 rwm')
    expect(deviceRuleLine({ allow: true, type: 'c', major: 136, access: 'rw' })).toBe('c 136:* rw')
    expect(deviceRuleLine({ allow: true, type: 'b', access: 'm' })).toBe('b *:* m')
  })

  it('decides as the last matching rule says (runc\'s emulator), denying what none matches', () => {
    const rules = [{ allow: false, access: 'rwm' }, ...ALWAYS_ALLOWED_DEVICES]
    expect(deviceAllowed(rules, 'c', 1, 3, 'w')).toBe(true) // /dev/null
    expect(deviceAllowed(rules, 'c', 136, 4, 'r')).toBe(true) // /dev/pts/4
    expect(deviceAllowed(rules, 'b', 8, 0, 'r')).toBe(false) // /dev/sda
    expect(deviceAllowed(rules, 'b', 8, 0, 'm')).toBe(true) // mknod is allowed, opening is not
    expect(deviceAllowed([...rules, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }], 'c', 1, 3, 'w')).toBe(false)
    expect(deviceAllowed([], 'c', 1, 3, 'r')).toBe(false)
  })
})

const v1Memory = findV1Hierarchies().find((h) => h.controllers.includes('memory'))
const v2HasMemory = (() => {
  try {
    return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').includes('memory') || readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('memory')
  } catch {
    return false
  }
})()

/** go-units' binary sizes as stats prints them ("8.52MiB"), in bytes. */
function bytesOf(size: string): number {
  const m = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(size)
  if (!m) throw new Error(`not a size: ${size}`)
  return Number(m[1]) * 1024 ** ['B', 'KiB', 'MiB', 'GiB'].indexOf(m[2]!)
}

/** Directories left under the caller's v1 cgroup of that controller by this env's containers. */
function v1Leftovers(parent: string, controller = 'memory'): string[] {
  const h = findV1Hierarchies().find((x) => x.controllers.includes(controller))
  if (!h) return []
  const own = join(h.mount, ownCgroups().v1.get(controller) ?? '/', parent)
  return existsSync(own) ? readdirSync(own, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(own, e.name)) : []
}

const v1Cpu = ['cpu', 'cpuset'].every((c) => findV1Hierarchies().some((h) => h.controllers.includes(c)))
const v2HasCpu = (() => {
  try {
    return /\bcpu(set)?\b/.test(readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8'))
  } catch {
    return false
  }
})()

describe.skipIf(!isRoot || !v1Memory || !v1Cpu || v2HasMemory || v2HasCpu)('--cpuset-cpus, --cpu-period, --cpu-quota, --memory-reservation on this hybrid host, through v1', () => {
  it('pins the container to the CPU asked for, writes the CFS pair and the soft limit, shows them in inspect, and rm -f leaves no leaf', async () => {
    const env = await makeTestEnv()
    const controllers = ['memory', 'cpu', 'cpuset']
    const before = controllers.map((c) => v1Leftovers(env.cgroupParent, c))
    try {
      const args = env.runArgs(['-d', '--cpuset-cpus', '1', '--cpu-period', '50000', '--cpu-quota', '20000', '--memory-reservation', '24m', 'localhost/test/busybox', 'sleep', '60']).filter((a) => a !== '--rm')
      const run = env.run(args)
      expect([run.status, run.stderr]).toEqual([0, ''])
      const id = run.stdout.trim()
      expect(env.run(['exec', id, 'grep', 'Cpus_allowed_list', '/proc/self/status']).stdout).toBe('Cpus_allowed_list:\t1\n')
      const leaf = (controller: string) => v1Leftovers(env.cgroupParent, controller).find((d) => d.endsWith(id))!
      const read = (controller: string, file: string) => readFileSync(join(leaf(controller), file), 'utf8').trim()
      expect(read('cpuset', 'cpuset.cpus')).toBe('1')
      expect([read('cpu', 'cpu.cfs_period_us'), read('cpu', 'cpu.cfs_quota_us')]).toEqual(['50000', '20000'])
      expect(read('memory', 'memory.soft_limit_in_bytes')).toBe(String(24 << 20))
      const host = JSON.parse(env.run(['inspect', id]).stdout)[0].HostConfig
      expect([host.CpusetCpus, host.CpuPeriod, host.CpuQuota, host.NanoCpus, host.MemoryReservation]).toEqual(['1', 50000, 20000, 0, 24 << 20])
      expect(env.run(['rm', '-f', id]).status).toBe(0)
      expect(env.leftovers()).toEqual([])
      expect(controllers.map((c) => v1Leftovers(env.cgroupParent, c))).toEqual(before)
    } finally {
      env.cleanup()
    }
  })

  it('refuses what Docker\'s daemon refuses, in its words, before anything is made', async () => {
    const env = await makeTestEnv()
    try {
      const refused: [string[], string][] = [
        [['--cpuset-cpus', '64'], 'Requested CPUs are not available - requested 64, available: '],
        [['--cpuset-cpus', '1-'], 'Invalid value 1- for cpuset cpus'],
        [['--cpuset-mems', '9'], 'Requested memory nodes are not available - requested 9, available: '],
        [['--cpus', '1', '--cpu-period', '50000'], 'Conflicting options: Nano CPUs and CPU Period cannot both be set'],
        [['--cpu-quota', '500'], 'CPU cfs quota can not be less than 1ms (i.e. 1000)'],
        [['--cpu-period', '100'], 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)'],
        [['--memory-reservation', '1m'], 'Minimum memory reservation allowed is 6MB'],
        [['-m', '16m', '--memory-reservation', '32m'], 'Minimum memory limit can not be less than memory reservation limit, see usage'],
      ]
      for (const [flags, message] of refused) {
        const r = env.run(env.runArgs([...flags, 'localhost/test/busybox', 'true']))
        expect([r.status, r.stderr]).toEqual([125, expect.stringContaining(`mini-run: ${message}`)])
        expect(r.stderr.split('\n')).toHaveLength(2)
      }
      expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    } finally {
      env.cleanup()
    }
  })
})

describe.skipIf(!isRoot || !v1Memory || v2HasMemory)('--memory on this hybrid host, through the v1 memory controller', () => {
  it('runs under the limit, and a command that outgrows it is OOM-killed: 137, OOMKilled, nothing left', async () => {
    const env = await makeTestEnv()
    const before = v1Leftovers(env.cgroupParent)
    try {
      expect(env.run(env.runArgs(['--memory', '16m', 'localhost/test/busybox', 'cat', '/proc/self/cgroup'])).stdout).toMatch(/memory:\/.*mini-run-test-\d+\/[0-9a-f]{64}$/m)
      const big = ['sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived']
      const oom = env.run([...env.runArgs(['--memory', '16m', '--memory-swap', '16m', 'localhost/test/busybox', ...big])].filter((a) => a !== '--rm'))
      expect(oom.stdout).not.toContain('survived')
      expect(oom.status).toBe(137)
      const id = env.run(['ps', '-a', '-q']).stdout.trim()
      expect(JSON.parse(env.run(['inspect', id]).stdout)[0].State.OOMKilled).toBe(true)
      // its events: the oom before the die, as Docker's daemon logs them
      const actions = env.run(['events', '--since', '0', '--until', (Date.now() / 1000 + 0.5).toFixed(3), '--filter', `container=${id}`, '--format', '{{.Action}}']).stdout.split('\n')
      expect(actions.filter((a) => a === 'oom' || a.startsWith('die'))).toEqual(['oom', 'die'])
      expect(env.run(['rm', id]).status).toBe(0)
      expect(env.leftovers()).toEqual([])
      expect(v1Leftovers(env.cgroupParent)).toEqual(before)
    } finally {
      env.cleanup()
    }
  })

  it('stats reads the v1 memory leaf: its limit, tmpfs pages no process maps, the host\'s memory below a larger limit', async () => {
    const env = await makeTestEnv()
    const before = v1Leftovers(env.cgroupParent)
    try {
      const detached = (args: string[]) => env.run(env.runArgs(['-d', ...args]).filter((a) => a !== '--rm')).stdout.trim()
      // 8 MiB in /dev/shm: charged to the cgroup, in no process's resident set
      const limited = detached(['--memory', '32m', 'localhost/test/busybox', 'sh', '-c', 'head -c 8388608 /dev/zero > /dev/shm/x; echo ready; sleep 60'])
      // a limit above the host's memory: Docker's daemon shows the host's
      const huge = detached(['--memory', `${2 * Math.ceil(totalmem() / 2 ** 30)}g`, 'localhost/test/busybox', 'sleep', '60'])
      for (let i = 0; i < 100 && env.run(['logs', limited]).stdout !== 'ready\n'; i++) await sleep(50)
      const out = env.run(['stats', '--no-stream', '--format', '{{.MemUsage}}', limited, huge])
      expect(out.stderr).toBe('')
      const [[usage, limit], [, hostLimit]] = out.stdout.trim().split('\n').map((l) => l.split(' / '))
      expect(limit).toBe('32MiB')
      expect(bytesOf(usage!)).toBeGreaterThanOrEqual(8 << 20)
      expect(bytesOf(usage!)).toBeLessThan(32 << 20)
      expect(hostLimit).toBe(bytesSize(totalmem()))
      expect(env.run(['rm', '-f', limited, huge]).status).toBe(0)
      expect(env.leftovers()).toEqual([])
      expect(v1Leftovers(env.cgroupParent)).toEqual(before)
    } finally {
      env.cleanup()
    }
  })

  it('run -d: rm -f removes the v1 leaf with the container', async () => {
    const env = await makeTestEnv()
    const before = v1Leftovers(env.cgroupParent)
    try {
      const args = env.runArgs(['-d', '--memory', '32m', 'localhost/test/busybox', 'sleep', '60']).filter((a) => a !== '--rm')
      const id = env.run(args).stdout.trim()
      expect(v1Leftovers(env.cgroupParent).length).toBe(before.length + 1)
      expect(readFileSync(join(v1Leftovers(env.cgroupParent).find((d) => d.endsWith(id))!, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(32 << 20))
      expect(env.run(['rm', '-f', id]).status).toBe(0)
      expect(env.leftovers()).toEqual([])
      expect(v1Leftovers(env.cgroupParent)).toEqual(before)
    } finally {
      env.cleanup()
    }
  })
})
