// Security issue, item 2: --userns=auto containers shared an id range with
// a real user. Without an /etc/subuid entry for root every auto container
// got 100000:65536, the first range Debian's useradd hands out: that user
// mapped it in a namespace of their own and, as its root, rewrote the
// container's files. Now each container gets a range no /etc/subuid or
// /etc/subgid entry covers, its own, released when it is removed.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { autoPool, DEFAULT_POOL, parseSubIds, pickSlot, reservedIds, SLOT_SIZE } from '../src/runtime/container/userns-ranges.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const USERADD_FIRST = { start: 100000, size: 65536 }

describe('picking a range (pure)', () => {
  const pool = autoPool({}, '', '')

  it('defaults to a pool far above what useradd gives out, and prefers the "containers" entries', () => {
    expect(pool.uid).toEqual(DEFAULT_POOL)
    expect(DEFAULT_POOL.start).toBeGreaterThan(600_100_000 + 65536) // Debian's SUB_UID_MAX
    const containers = autoPool({}, 'alice:100000:65536\ncontainers:2000000:1000000\n', 'containers:3000000:1000000\n')
    expect(containers.uid).toEqual({ start: 2000000, size: 1000000 })
    expect(containers.gid).toEqual({ start: 3000000, size: 1000000 })
    expect(autoPool({ MINI_RUN_USERNS_POOL: '5000000:131072' }, '', '').uid).toEqual({ start: 5000000, size: 131072 })
    expect(() => autoPool({ MINI_RUN_USERNS_POOL: '5000000:10' }, '', '')).toThrow(/MINI_RUN_USERNS_POOL/)
  })

  it('skips slots that overlap any other user\'s subordinate ids, or local users and groups', () => {
    const subuid = `alice:${DEFAULT_POOL.start + 10}:5\n`
    const subgid = `bob:${DEFAULT_POOL.start + SLOT_SIZE}:1\n`
    const reserved = reservedIds({ subuid, subgid, passwd: `x:x:${DEFAULT_POOL.start + 2 * SLOT_SIZE + 7}:0::/:/bin/sh\n`, group: '' })
    expect(pickSlot(pool, reserved, new Set())).toBe(3)
    expect(pickSlot(pool, reserved, new Set([3, 4]))).toBe(5)
    expect(parseSubIds('# comment\nbad\nu:1:0\nv:10:20\n')).toEqual([['v', { start: 10, size: 20 }]])
  })

  it('has no slot left when the pool is all taken', () => {
    const small = autoPool({ MINI_RUN_USERNS_POOL: `7000000:${SLOT_SIZE}` }, '', '')
    expect(pickSlot(small, { uid: [], gid: [] }, new Set())).toBe(0)
    expect(pickSlot(small, { uid: [], gid: [] }, new Set([0]))).toBeUndefined()
  })
})

describe.skipIf(!isRoot)('run --userns=auto ranges (needs root: idmapped mounts)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  const maps = (out: string) =>
    out.trim().split('\n').map((l) => {
      const [inside, outside, size] = l.trim().split(/\s+/).map(Number)
      return { inside: inside!, start: outside!, size: size! }
    })
  const overlaps = (a: { start: number; size: number }, b: { start: number; size: number }) => a.start < b.start + b.size && b.start < a.start + a.size
  const hostSubIds = () =>
    ['/etc/subuid', '/etc/subgid'].flatMap((f) => (existsSync(f) ? parseSubIds(readFileSync(f, 'utf8')).map(([, r]) => r) : []))

  it('maps root to a range that no /etc/subuid or /etc/subgid entry covers, not useradd\'s first', () => {
    const r = env.run(env.runArgs(['--userns=auto', BUSYBOX, 'sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map']))
    expect(r.stderr).toBe('')
    const [uid, gid] = maps(r.stdout)
    for (const m of [uid!, gid!]) {
      expect(m.inside).toBe(0)
      expect(m.size).toBe(SLOT_SIZE)
      expect(overlaps(m, USERADD_FIRST)).toBe(false)
      for (const taken of hostSubIds()) expect(overlaps(m, taken)).toBe(false)
    }
  })

  it('gives each running container a range of its own, and takes it back when the container is removed', () => {
    const ids = [1, 2].map(() => env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, '--userns=auto', BUSYBOX, 'sleep', '60']).stdout.trim())
    try {
      const ranges = ids.map((id) => maps(env.run(['exec', id, 'cat', '/proc/self/uid_map']).stdout)[0]!)
      expect(ranges[0]!.size).toBe(SLOT_SIZE)
      expect(overlaps(ranges[0]!, ranges[1]!)).toBe(false)
      expect(readdirSync(join(env.stateRoot, 'userns'))).toHaveLength(2)
    } finally {
      expect(env.run(['rm', '-f', ...ids]).status).toBe(0)
    }
    expect(existsSync(join(env.stateRoot, 'userns'))).toBe(false)
  })

  it('refuses with one line when every range is taken, and leaves nothing behind', () => {
    const pool = { MINI_RUN_USERNS_POOL: `${DEFAULT_POOL.start}:${SLOT_SIZE}`, PATH: process.env.PATH ?? '' }
    const first = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, '--userns=auto', BUSYBOX, 'sleep', '60'], { env: pool })
    expect(first.status).toBe(0)
    try {
      const second = env.run(env.runArgs(['--userns=auto', BUSYBOX, 'true']), { env: pool })
      expect(second.status).toBe(125)
      expect(second.stderr).toMatch(/^mini-run: --userns=auto: no free range of 65536 ids left in MINI_RUN_USERNS_POOL \(1 taken by containers\)/)
      expect(second.stderr.split('\n')).toHaveLength(2)
    } finally {
      env.run(['rm', '-f', first.stdout.trim()])
    }
  })

  it('takes over the range of a runtime that died before its container existed', () => {
    const dir = join(env.stateRoot, 'userns')
    mkdirSync(dir, { recursive: true })
    // no such container, and a process that is gone (pid 1 never started at tick 1)
    writeFileSync(join(dir, '0'), JSON.stringify({ id: 'f'.repeat(64), owner: '1.1' }))
    const pool = { MINI_RUN_USERNS_POOL: `${DEFAULT_POOL.start}:${SLOT_SIZE}`, PATH: process.env.PATH ?? '' }
    const r = env.run(env.runArgs(['--userns=auto', BUSYBOX, 'cat', '/proc/self/uid_map']), { env: pool })
    expect(r.stderr).toBe('')
    expect(maps(r.stdout)[0]!.start).toBe(DEFAULT_POOL.start)
    expect(existsSync(dir)).toBe(false)
  })
})
