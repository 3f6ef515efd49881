// 100 run -d / rm -f cycles leave the machine exactly as before: mounts,
// cgroup dirs, state dirs, writable layers and processes, counted before
// and after.
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, cgroup2, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

// (200 until the suite neared its 30 minutes: a leak shows in the first cycle, a race in a few dozen; MINI_RUN_CYCLES for more)
const CYCLES = Number(process.env.MINI_RUN_CYCLES ?? 100)

/** This test's own things only: other test runs may share the machine. */
function snapshot(env: TestEnv) {
  const processes = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      return cmdline.includes('mini-run-monitor') && cmdline.includes(env.stateRoot)
    } catch {
      return false
    }
  })
  const cgroups = cgroup2 ? readdirSync(cgroup2).filter((d) => d === env.cgroupParent) : []
  return {
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(env.dir)).length,
    cgroups,
    monitors: processes.length,
    leftovers: env.leftovers(),
  }
}

describe.skipIf(!isRoot)(`lifecycle: ${CYCLES} run -d / rm -f cycles (needs root)`, () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('leaves mounts, cgroups, state, layers and processes as they were', () => {
    const before = snapshot(env)
    for (let i = 0; i < CYCLES; i++) {
      const r = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '30'])
      expect(r.status, r.stderr).toBe(0)
      const rm = env.run(['rm', '-f', r.stdout.trim()])
      expect(rm.status, rm.stderr).toBe(0)
    }
    expect(snapshot(env)).toEqual(before)
  }, 30 * 60_000)
})
