// --root and --state given as relative paths: podman makes them absolute, and
// so does mini-run. A relative --root once made `run` spin forever (the
// layers' common parent was searched among absolute paths).
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { miniRun } from './helpers/cli.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('relative --root and --state (needs root: containers)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('run --rm (the launcher\'s own parser) and run -d, ps, rm (commander\'s) work from the directory they are relative to', () => {
    const cwd = env.dir
    const g = ['--root', relative(cwd, env.storeRoot), '--state', relative(cwd, env.stateRoot)]
    expect(g[1]).toBe('store')
    const fg = miniRun([...g, 'run', '--rm', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'echo', 'hi'], { cwd, timeout: 30_000 })
    expect(fg.stderr).toBe('')
    expect(fg.stdout).toBe('hi\n')
    const d = miniRun([...g, 'run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '30'], { cwd, timeout: 30_000 })
    expect(d.stderr).toBe('')
    const id = d.stdout.trim()
    // the same container, seen through the absolute paths
    expect(env.run(['ps', '-q', '--no-trunc']).stdout).toBe(`${id}\n`)
    // what the state records is absolute: a monitor or a hook reads it from elsewhere
    expect(JSON.parse(readFileSync(join(env.stateRoot, id, 'state.json'), 'utf8')).containerDir).toBe(join(env.storeRoot, 'containers', id))
    expect(miniRun([...g, 'rm', '-f', id], { cwd }).status).toBe(0)
    expect(env.leftovers()).toEqual([])
  })
})
