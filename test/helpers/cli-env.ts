// The usual setup of a CLI test suite: a TestEnv of its own (made in
// beforeAll, cleaned up in afterAll), ok() for a line that must exit 0
// with nothing on stderr, and after each test every container removed
// and nothing left behind.
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { makeTestEnv, type TestEnv } from './test-env.js'

export interface CliEnv {
  /** The suite's TestEnv: there from beforeAll on. */
  readonly env: TestEnv
  /** A mini-run line that must exit 0 with nothing on stderr: its stdout. */
  ok: (args: string[], options?: Parameters<TestEnv['run']>[1]) => string
}

/** Call in a describe block: registers the suite's hooks. */
export function useCliEnv(): CliEnv {
  let made: TestEnv | undefined
  const env = (): TestEnv => {
    if (!made) throw new Error('useCliEnv: the TestEnv is made in beforeAll')
    return made
  }
  beforeAll(async () => {
    made = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env().run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env().run(['rm', '-f', ...ids])
    expect(env().leftovers()).toEqual([])
  })
  afterAll(() => made?.cleanup())
  return {
    get env() {
      return env()
    },
    ok: (args, options) => {
      const r = env().run(args, options)
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      return r.stdout
    },
  }
}
