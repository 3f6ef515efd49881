// Docker's resource flags -> cgroup v2 files. The arithmetic and the
// top-down delegation are checked on a fake cgroup tree (plain files); the
// kernel's enforcement is tested in the VM (test/vm/).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkControllers, enableControllers, limitFiles, parseSize, resourcesFromFlags, sharesToWeight } from '../src/runtime/cgroup/cgroup-limits.js'
import { planStart } from '../src/runtime/plan/plan-start.js'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { cgroup2, isRoot, makeTestEnv } from './helpers/test-env.js'

describe('resourcesFromFlags and limitFiles', () => {
  it('parses Docker sizes', () => {
    expect(parseSize('32m', '--memory')).toBe(32 * 1024 * 1024)
    expect(parseSize('1g', '--memory')).toBe(1024 ** 3)
    expect(parseSize('512k', '--memory')).toBe(512 * 1024)
    expect(parseSize('1048576', '--memory')).toBe(1048576)
    expect(() => parseSize('lots', '--memory')).toThrow(/invalid --memory "lots"/)
  })

  it('maps --memory (with Docker\'s default swap of as much again), --pids-limit, --cpus, --cpu-shares', () => {
    const r = resourcesFromFlags({ memory: '32m', pidsLimit: '64', cpus: '0.5', cpuShares: '512' })!
    expect(limitFiles(r)).toEqual([
      { controller: 'memory', file: 'memory.max', value: String(32 * 1024 * 1024) },
      { controller: 'memory', file: 'memory.swap.max', value: String(32 * 1024 * 1024) },
      { controller: 'pids', file: 'pids.max', value: '64' },
      { controller: 'cpu', file: 'cpu.max', value: '50000 100000' },
      { controller: 'cpu', file: 'cpu.weight', value: String(sharesToWeight(512)) },
    ])
  })

  it('maps --cpu-period, --cpu-quota, --cpuset-cpus, --cpuset-mems and --memory-reservation to their v2 files; 0 is the kernel\'s default, not a conflict with --cpus', () => {
    const r = resourcesFromFlags({ cpuPeriod: '50000', cpuQuota: '25000', cpusetCpus: '0', cpusetMems: '0', memoryReservation: '64m' })!
    expect(r).toEqual({ cpu: { period: 50_000, quota: 25_000, cpus: '0', mems: '0' }, memory: { reservation: 64 * 1024 ** 2 } })
    expect(limitFiles(r).map((f) => `${f.file}=${f.value}`)).toEqual(['memory.low=67108864', 'cpu.max=25000 50000', 'cpuset.cpus=0', 'cpuset.mems=0'])
    // a quota alone: the kernel's period, as runc writes it
    expect(limitFiles(resourcesFromFlags({ cpuQuota: '30000' })!).map((f) => `${f.file}=${f.value}`)).toEqual(['cpu.max=30000 100000'])
    expect(resourcesFromFlags({ cpus: '1', cpuPeriod: '0', cpuQuota: '0' })!.cpu).toEqual({ period: 100_000, quota: 100_000 })
    // -1 (unlimited) beside --cpus is no conflict (moby: only a quota above 0); --cpus decides
    expect(resourcesFromFlags({ cpus: '1', cpuQuota: '-1' })!.cpu).toEqual({ period: 100_000, quota: 100_000 })
    expect(() => resourcesFromFlags({ cpus: '1', cpuQuota: '20000' })).toThrow('Conflicting options: Nano CPUs and CPU Quota cannot both be set')
  })

  it('follows --memory-swap: equal to --memory means no swap, -1 unlimited', () => {
    expect(limitFiles(resourcesFromFlags({ memory: '64m', memorySwap: '64m' })!)[1]!.value).toBe('0')
    expect(limitFiles(resourcesFromFlags({ memory: '64m', memorySwap: '-1' })!)[1]!.value).toBe('max')
    expect(() => resourcesFromFlags({ memorySwap: '1g' })).toThrow(/always set the memory limit/)
    expect(() => resourcesFromFlags({ memory: '64m', memorySwap: '32m' })).toThrow(/larger than memory limit/)
    expect(() => resourcesFromFlags({ memory: '1m' })).toThrow(/minimum memory limit/)
  })

  it('converts shares to weight as runc does (2 -> 1, 1024 -> 39, 262144 -> 10000)', () => {
    expect([sharesToWeight(2), sharesToWeight(1024), sharesToWeight(262144)]).toEqual([1, 39, 10000])
  })

  it('gives nothing when no flag is set', () => {
    expect(resourcesFromFlags({})).toBeUndefined()
  })
})

describe('the limit steps of a plan, carried out on a fake cgroup tree', () => {
  let dir: string | undefined
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }))

  it('enables controllers top-down where missing, then writes the leaf', () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-cgroup-'))
    const parent = join(dir, 'mini-run')
    const leaf = join(parent, 'c1')
    mkdirSync(leaf, { recursive: true })
    writeFileSync(join(dir, 'cgroup.controllers'), 'cpuset cpu io memory pids\n')
    writeFileSync(join(dir, 'cgroup.subtree_control'), 'memory\n')
    writeFileSync(join(parent, 'cgroup.subtree_control'), '\n')
    for (const f of ['memory.max', 'memory.swap.max', 'pids.max']) writeFileSync(join(leaf, f), 'max\n')
    const r = resourcesFromFlags({ memory: '32m', pidsLimit: '10' })!
    checkControllers(dir, r)
    const spec = buildSpec({ id: 'c1', rootfsPath: '/r', command: ['true'], passwd: [], groups: [], cgroup2: true, resources: r })
    const plan = planStart({ spec, rootfs: { kind: 'directory' }, setgroupsAllowed: true, pathKind: () => 'dir', cgroupPath: leaf, cgroupMount: dir })
    const steps = plan.host.filter((s) => s.kind === 'cgroup_enable' || s.kind === 'cgroup_write' || s.kind === 'cgroup_leaf')
    expect(steps.map((s) => `${s.kind} ${'dir' in s ? s.dir : s.path}`)).toEqual([
      `cgroup_leaf ${leaf}`, `cgroup_enable ${dir}`, `cgroup_enable ${parent}`,
      `cgroup_write ${leaf}/memory.max`, `cgroup_write ${leaf}/memory.swap.max`, `cgroup_write ${leaf}/pids.max`,
    ])
    for (const s of steps) {
      if (s.kind === 'cgroup_enable') enableControllers(s.dir, s.controllers)
      else if (s.kind === 'cgroup_write') writeFileSync(s.path, s.value)
    }
    // the root already had memory: only pids is added there; the parent gets both
    expect(readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8')).toBe('+pids')
    expect(readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids')
    expect(readFileSync(join(leaf, 'memory.max'), 'utf8')).toBe(String(32 * 1024 * 1024))
    expect(readFileSync(join(leaf, 'pids.max'), 'utf8')).toBe('10')
  })

  it('refuses, naming the controller, when the hierarchy lacks it', () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-cgroup-'))
    writeFileSync(join(dir, 'cgroup.controllers'), 'hugetlb\n')
    expect(() => checkControllers(dir!, resourcesFromFlags({ pidsLimit: '5' })!)).toThrow(/--pids-limit needs the cgroup v2 "pids" controller, which .* does not offer/)
  })
})

// On a host whose v2 tree lacks a controller, limits go through cgroup v1: test/cgroup-v1.test.ts.
