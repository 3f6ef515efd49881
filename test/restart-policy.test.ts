// --restart: Docker's policies, decided as moby's restart manager does
// (unit), and carried out through the monitor's exit command (integration):
// on-failure:N restarts exactly N times, always comes back after the
// process exits but not after stop, RestartCount in inspect.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { decideRestart, formatRestartPolicy, parseRestartPolicy } from '../src/runtime/container/restart-policy.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe('restart policies (unit)', () => {
  it('parses Docker\'s forms and refuses the rest with its words', () => {
    expect(parseRestartPolicy('no')).toEqual({ name: 'no', maximumRetryCount: 0 })
    expect(parseRestartPolicy('on-failure')).toEqual({ name: 'on-failure', maximumRetryCount: 0 })
    expect(parseRestartPolicy('on-failure:3')).toEqual({ name: 'on-failure', maximumRetryCount: 3 })
    expect(parseRestartPolicy('always')).toEqual({ name: 'always', maximumRetryCount: 0 })
    expect(parseRestartPolicy('unless-stopped')).toEqual({ name: 'unless-stopped', maximumRetryCount: 0 })
    expect(() => parseRestartPolicy('always:2')).toThrow(/^invalid restart policy: maximum retry count can only be used with 'on-failure'$/)
    expect(() => parseRestartPolicy('sometimes')).toThrow(/^invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'$/)
    expect(() => parseRestartPolicy('on-failure:x')).toThrow(/^invalid restart policy format: maximum retry count must be an integer$/)
    expect(() => parseRestartPolicy('on-failure:-1')).toThrow(/^invalid restart policy: maximum retry count cannot be negative$/)
    expect(() => parseRestartPolicy(':3')).toThrow(/^invalid restart policy format: no policy provided before colon$/)
    expect(formatRestartPolicy({ name: 'on-failure', maximumRetryCount: 2 })).toBe('on-failure:2')
  })

  it('decides as moby: on-failure counts, a user\'s stop wins, the back-off doubles and resets after 10 s', () => {
    const facts = { exitCode: 1, ranMs: 50, restartCount: 0, stoppedByUser: false }
    const onFailure2 = { name: 'on-failure', maximumRetryCount: 2 } as const
    expect(decideRestart(onFailure2, facts)).toEqual({ restart: true, delayMs: 100 })
    expect(decideRestart(onFailure2, { ...facts, restartCount: 1, previousDelayMs: 100 })).toEqual({ restart: true, delayMs: 200 })
    expect(decideRestart(onFailure2, { ...facts, restartCount: 2, previousDelayMs: 200 })).toEqual({ restart: false })
    expect(decideRestart(onFailure2, { ...facts, exitCode: 0 })).toEqual({ restart: false })
    const always = { name: 'always', maximumRetryCount: 0 } as const
    expect(decideRestart(always, { ...facts, exitCode: 0, restartCount: 50, previousDelayMs: 40_000 })).toEqual({ restart: true, delayMs: 60_000 })
    expect(decideRestart(always, { ...facts, ranMs: 10_000, previousDelayMs: 40_000 })).toEqual({ restart: true, delayMs: 100 })
    expect(decideRestart(always, { ...facts, stoppedByUser: true })).toEqual({ restart: false })
    expect(decideRestart({ name: 'unless-stopped', maximumRetryCount: 0 }, { ...facts, stoppedByUser: true })).toEqual({ restart: false })
    expect(decideRestart({ name: 'no', maximumRetryCount: 0 }, facts)).toEqual({ restart: false })
  })
})

describe.skipIf(!isRoot)('restart policies, carried out (needs root)', () => {
  let env: TestEnv
  const inspect = (ref: string) => JSON.parse(env.run(['inspect', ref]).stdout)[0]
  const until = async (what: string, predicate: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms
    while (!predicate()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
      await sleep(50)
    }
  }
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('on-failure:2 starts a failing container exactly twice more, and says so in inspect', async () => {
    const r = env.run(['run', '-d', '--restart', 'on-failure:2', '--name', 'r1', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'echo try; exit 3'])
    expect(r.status).toBe(0)
    await until('three runs and the end of the policy', () => {
      const i = inspect('r1')
      return i.RestartCount === 2 && i.State.Status === 'exited' && env.run(['logs', 'r1']).stdout === 'try\ntry\ntry\n'
    })
    // and no more: 100 + 200 ms of back-off have long passed
    await sleep(800)
    const i = inspect('r1')
    expect(env.run(['logs', 'r1']).stdout).toBe('try\ntry\ntry\n')
    expect(i.RestartCount).toBe(2)
    expect(i.State.ExitCode).toBe(3)
    expect(i.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 })
  })

  it('always brings the container back after its process exits, but not after stop; start resets the count', async () => {
    // /ctl/hold makes the next run stay up: the checks after `start` do not race a 0.3 s life
    const ctl = join(env.dir, 'r2-ctl')
    mkdirSync(ctl)
    const command = 'echo up; if [ -e /ctl/hold ]; then sleep 60; else sleep 0.3; fi'
    expect(env.run(['run', '-d', '--restart', 'always', '--name', 'r2', '-v', `${ctl}:/ctl`, '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', command]).status).toBe(0)
    await until('a restart', () => inspect('r2').RestartCount >= 2)
    expect(env.run(['stop', '-t', '1', 'r2']).status).toBe(0)
    const after = inspect('r2').RestartCount
    await sleep(1500)
    const i = inspect('r2')
    expect(i.State.Status).toBe('exited')
    expect(i.RestartCount).toBe(after)
    writeFileSync(join(ctl, 'hold'), '')
    expect(env.run(['start', 'r2']).status).toBe(0)
    expect(inspect('r2').RestartCount).toBe(0)
    expect(inspect('r2').State.Status).toBe('running')
  })

  it('an update of the policy during the back-off is what the restart handler does: update --restart no, and it stays down', async () => {
    expect(env.run(['run', '-d', '--restart', 'always', '--name', 'r3', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'exit 1']).status).toBe(0)
    // five quick failures: the back-off has doubled to 3.2 s (100 ms, then twice as long each time)
    await until('five restarts', () => inspect('r3').RestartCount >= 5, 30_000)
    await until('the back-off', () => inspect('r3').State.Status !== 'running')
    expect(env.run(['update', '--restart', 'no', 'r3']).status).toBe(0)
    const count = inspect('r3').RestartCount
    expect(inspect('r3').State.Restarting).toBe(false)
    // past the longest back-off it could be in (6.4 s after the sixth failure)
    await sleep(7000)
    const i = inspect('r3')
    expect(i.RestartCount).toBe(count)
    expect(i.State.Status).toBe('exited')
  })

  it('--restart and --rm exclude each other, as in Docker', () => {
    const r = env.run(['run', '--rm', '--restart', 'always', BUSYBOX, 'true'])
    expect(r.status).toBe(125)
    expect(r.stderr).toBe('mini-run: Conflicting options: --restart and --rm\n')
  })
})
