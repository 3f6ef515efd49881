/**
 * A `run --rm` container between its exit and its removal: its runtime is
 * giving back what it made, the writable layer first. The window is held
 * open at a pause point (src/crash-point.ts: pausePoint, 'run:removing').
 * There it is Docker's "removing": `ps` says "Removal In Progress" (it said
 * "Created"), and `start` and `cp` refuse it with one line rather than
 * mount a layer that is half gone (a layer mounted volatile cannot be
 * mounted again at all: overlayfs refuses with EINVAL).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { miniRunAsync } from './helpers/cli.js'
import { until } from './helpers/reliability.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('a run --rm container while its runtime removes it (needs root: containers)', () => {
  let env: TestEnv
  let release: string
  beforeAll(async () => {
    env = await makeTestEnv()
    release = join(env.dir, 'release')
  })
  afterAll(() => {
    // a failed test must not leave the runtime waiting
    writeFileSync(release, '')
    env?.cleanup()
  })

  it('is "Removal In Progress" in ps and inspect; start and cp refuse it with one line; then it is gone', async () => {
    rmSync(release, { force: true })
    const pause = { ...process.env, MINI_RUN_PAUSE_AT: 'run:removing', MINI_RUN_PAUSE_FILE: release }
    const run = miniRunAsync(env.runArgs(['--name', 'going', BUSYBOX, 'sh', '-c', 'echo hi > /file']), { env: pause })
    await until('the runtime to pause after the exit', () => existsSync(`${release}.paused`))

    const ps = env.run(['ps', '-a', '--format', '{{.Names}} {{.Status}}'])
    expect(ps.stdout).toBe('going Removal In Progress\n')
    expect(env.run(['ps', '-a', '-q', '--filter', 'status=removing']).stdout.trim()).toMatch(/^[0-9a-f]{12}$/)
    expect(env.run(['ps', '-a', '-q', '--filter', 'status=created']).stdout).toBe('')
    const [info] = JSON.parse(env.run(['inspect', 'going']).stdout) as Array<{ State: { Status: string; Running: boolean } }>
    expect(info!.State).toMatchObject({ Status: 'removing', Running: false })

    const start = env.run(['start', 'going'])
    expect(start.status).not.toBe(0)
    expect(start.stderr).toMatch(/^mini-run: container [0-9a-f]{12} is marked for removal \(run --rm\) and cannot be started\n$/)
    const cp = env.run(['cp', 'going:/file', join(env.dir, 'copied')])
    expect(cp.status).not.toBe(0)
    expect(cp.stderr).toMatch(/^mini-run: container [0-9a-f]{12} is marked for removal \(run --rm\): its files are being removed\n$/)
    expect(existsSync(join(env.dir, 'copied'))).toBe(false)

    writeFileSync(release, '')
    const done = await run.done
    expect(done.stderr).toBe('')
    expect(done.status).toBe(0)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    expect(env.leftovers()).toEqual([])
  }, 60_000)
})
