// Issue 13, a hang: `run -v /proc/nonexist:/x` spun one core for good (Node's
// recursive mkdir on procfs, where mkdir fails with ENOENT under a directory
// that exists). A missing -v source is now made only where it can be, by a
// walk bounded by its components, and one under /proc, /sys or /dev is
// refused before anything is made.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('-v with a missing source (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('refuses a missing source under /proc, /sys or /dev at once, with one line', () => {
    for (const source of ['/proc/nonexist', '/proc/self/nonexist/deeper', '/sys/nonexist', '/dev/nonexist/x']) {
      const t0 = Date.now()
      const r = env.run(env.runArgs(['-v', `${source}:/x`, BUSYBOX, 'true']), { timeout: 20_000 })
      expect({ source, status: r.status, fast: Date.now() - t0 < 10_000 }).toEqual({ source, status: 125, fast: true })
      expect(r.stderr).toMatch(new RegExp(`^mini-run: bind source path does not exist: ${source} \\(a missing source under /(proc|sys|dev) is not created\\)\\n$`))
      expect(existsSync(source)).toBe(false)
    }
  })

  it('makes the missing directories of a source elsewhere, each once', () => {
    const source = join(env.dir, 'made', 'a', 'b')
    const r = env.run(env.runArgs(['-v', `${source}:/x`, BUSYBOX, 'sh', '-c', 'echo hi > /x/f']))
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(existsSync(join(source, 'f'))).toBe(true)
  })

  it('a file on the way is one line, and the start leaves nothing', () => {
    writeFileSync(join(env.dir, 'plain'), 'x')
    const r = env.run(env.runArgs(['-v', `${join(env.dir, 'plain', 'sub')}:/x`, BUSYBOX, 'true']))
    expect(r.status).toBe(125)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/plain is not a directory|Not a directory/)
  })
})
