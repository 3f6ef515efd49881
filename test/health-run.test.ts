// Health checks of `run -d` (needs root): --health-cmd and the image's
// HEALTHCHECK run by the container's health runner while it lives; ps and
// inspect show the results; `healthcheck run` runs one now; the runner
// leaves with its container (it exits, or rm kills it) and a container
// without a check has none; every later start (start, restart, a restart
// policy) has a runner again. A stopped container is unhealthy, as in
// Docker, its streak and log kept.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { miniRunAsync } from './helpers/cli.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { writeContext } from './helpers/build.js'
import { until } from './helpers/netns.js'
import { readProcStat } from '../src/proc-stat.js'

describe.skipIf(!isRoot)('health checks of run -d (needs root)', () => {
  let env: TestEnv
  const detached = (args: string[]) => {
    const r = env.run(['run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, ...args])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout.trim()
  }
  const inspect = (ref: string) => JSON.parse(env.run(['inspect', ref]).stdout)[0]
  const status = (ref: string) => env.run(['ps', '-a']).stdout.split('\n').find((l) => l.endsWith(ref)) ?? ''
  const runner = (id: string): number | undefined => {
    try {
      return (JSON.parse(readFileSync(join(env.stateRoot, id, 'health.json'), 'utf8')) as { runner?: { pid: number } }).runner?.pid
    } catch {
      return undefined
    }
  }
  const running = (pid: number | undefined) => pid !== undefined && ![undefined, 'Z'].includes(readProcStat(pid)?.state)
  /** A bind of the test's own (-v dir:/ctl) by which the test says when the container ends, not a sleep of the container's. */
  const control = (name: string) => {
    const dir = join(env.dir, `${name}-ctl`)
    mkdirSync(dir)
    return { bind: ['-v', `${dir}:/ctl`], touch: (file: string) => writeFileSync(join(dir, file), '') }
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

  it('--health-cmd: starting, healthy, then unhealthy after retries failures; ps and inspect say so', async () => {
    // failing checks in the start period leave it starting, however slow the machine; the test says when it turns
    // (checked every 200ms in it too, not every 5s, Docker's default start interval)
    const id = detached(['--name', 'hc', '--health-cmd', 'test -f /tmp/ok && echo fine', '--health-interval', '200ms', '--health-retries', '2',
      '--health-start-period', '1h', '--health-start-interval', '200ms', BUSYBOX, 'sleep', '100'])
    await until('a failed check', () => (inspect(id).State.Health.Log ?? []).length > 0)
    expect(status('hc')).toMatch(/Up .* \(health: starting\)\s+hc$/)
    expect(inspect(id).State.Health).toMatchObject({ Status: 'starting', FailingStreak: 0 })
    expect(env.run(['exec', 'hc', 'touch', '/tmp/ok']).status).toBe(0)
    await until('healthy', () => / \(healthy\)/.test(status('hc')))
    const healthy = inspect(id).State.Health
    expect(healthy.Status).toBe('healthy')
    expect(healthy.FailingStreak).toBe(0)
    expect(healthy.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n' })
    expect(inspect(id).Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /tmp/ok && echo fine'], Interval: 2e8, Retries: 2, StartPeriod: 3.6e12, StartInterval: 2e8 })
    // once healthy, the start period is over: failures count (Docker's rule)
    expect(env.run(['exec', 'hc', 'rm', '/tmp/ok']).status).toBe(0)
    await until('unhealthy', () => / \(unhealthy\)/.test(status('hc')), 15_000)
    const unhealthy = inspect(id).State.Health
    expect(unhealthy.FailingStreak).toBeGreaterThanOrEqual(2)
    expect(unhealthy.Log.length).toBeLessThanOrEqual(5)
    expect(unhealthy.Log.at(-1).ExitCode).toBe(1)
    // one check now: recorded, and its result is the exit code
    const now = env.run(['healthcheck', 'run', 'hc'])
    expect(now.stdout).toBe('unhealthy\n')
    expect(now.status).toBe(1)
  })

  it('the image\'s HEALTHCHECK runs; --no-healthcheck disables it; a check past its timeout fails with -1', async () => {
    const ctx = writeContext(join(env.dir, 'ctx-health'), {
      Dockerfile: `FROM ${BUSYBOX}\nHEALTHCHECK --interval=200ms --timeout=300ms --retries=1 CMD ["sh", "-c", "test -f /tmp/slow && sleep 5; true"]\n`,
    })
    const built = env.run(['build', '-q', '-t', 'localhost/test/health:1', ctx])
    expect(built.status).toBe(0)
    const id = detached(['--name', 'img', 'localhost/test/health:1', 'sleep', '100'])
    await until('healthy from the image\'s check', () => / \(healthy\)/.test(status('img')))
    expect(inspect(id).Config.Healthcheck.Test).toEqual(['CMD', 'sh', '-c', 'test -f /tmp/slow && sleep 5; true'])
    expect(env.run(['exec', id, 'touch', '/tmp/slow']).status).toBe(0)
    await until('unhealthy by timeout', () => / \(unhealthy\)/.test(status('img')))
    expect(inspect(id).State.Health.Log.at(-1)).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (300ms)' })

    const off = detached(['--name', 'off', '--no-healthcheck', 'localhost/test/health:1', 'sleep', '100'])
    expect(status('off')).toMatch(/Up [^(]*\s+off$/)
    expect(inspect(off).State.Health).toBeUndefined()
    expect(runner(off)).toBeUndefined()
    expect(env.run(['healthcheck', 'run', 'off']).stderr).toMatch(/has no health check/)
  })

  it('the runner leaves when its container exits, and rm -f kills it', async () => {
    // it ends once the test has seen its runner (a slow machine could miss a runner that lives a second)
    const ctl = control('short')
    const short = detached([...ctl.bind, '--health-cmd', 'true', '--health-interval', '100ms', BUSYBOX, 'sh', '-c', 'until [ -e /ctl/end ]; do sleep 0.1; done'])
    await until('a runner', () => running(runner(short)))
    const pid = runner(short)
    ctl.touch('end')
    await until('the runner to leave with its container', () => !running(pid), 10_000)
    expect(status(short.slice(0, 12)) || env.run(['ps', '-a']).stdout).toMatch(/Exited \(0\)/)

    const long = detached(['--health-cmd', 'true', '--health-interval', '30s', BUSYBOX, 'sleep', '100'])
    await until('a runner', () => running(runner(long)))
    const pid2 = runner(long)
    expect(env.run(['rm', '-f', long]).status).toBe(0)
    // killed by then; gone once reaped
    await until('the runner to go with its container', () => !running(pid2))
  })
  it('a foreground run has a health check too (Docker runs it for every container): ps shows it; with --rm its runner goes with it', async () => {
    const fg = miniRunAsync(env.runArgs(['--name', 'fg', '--network', 'none', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '100ms',
      BUSYBOX, 'sh', '-c', 'touch /tmp/ok; while [ ! -f /tmp/done ]; do sleep 0.1; done']))
    await until('healthy', () => / \(healthy\)/.test(status('fg')))
    const id = inspect('fg').Id as string
    expect(inspect('fg').State.Health.Status).toBe('healthy')
    const pid = runner(id)
    expect(running(pid)).toBe(true)
    expect(env.run(['exec', 'fg', 'touch', '/tmp/done']).status).toBe(0)
    const done = await fg.done
    expect(done.stderr).toBe('')
    expect(done.status).toBe(0)
    expect(running(pid)).toBe(false)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('a paused container is unhealthy and checked no more until its unpause, as Docker\'s closed monitor', async () => {
    const id = detached(['--name', 'pz', '--health-cmd', 'true', '--health-interval', '100ms', '--health-timeout', '200ms', BUSYBOX, 'sleep', '100'])
    await until('healthy', () => inspect(id).State.Health?.Status === 'healthy')
    expect(env.run(['pause', 'pz']).status).toBe(0)
    expect(inspect(id).State.Health.Status).toBe('unhealthy')
    expect(status('pz')).toMatch(/Up .* \(Paused\)\s+pz$/)
    const log = JSON.stringify(inspect(id).State.Health.Log)
    await new Promise((r) => setTimeout(r, 800))
    // no check ran into the frozen container (one would time out, or hang)
    expect(JSON.stringify(inspect(id).State.Health.Log)).toBe(log)
    expect(inspect(id).State.Health.Status).toBe('unhealthy')
    expect(env.run(['unpause', 'pz']).status).toBe(0)
    await until('healthy again', () => inspect(id).State.Health.Status === 'healthy')
  })

  it('a stopped container is unhealthy, its streak and log kept (Docker\'s CloseMonitorChannel); a new start is starting, the log kept', async () => {
    // checks every 200ms while starting, then hourly: none runs while it stops
    const fine = detached(['--name', 'fine', '--health-cmd', 'true', '--health-interval', '1h', '--health-start-period', '1h', '--health-start-interval', '200ms', BUSYBOX, 'sleep', '100'])
    // failing, but fewer times than retries: still starting, with a streak
    const failing = detached(['--name', 'failing', '--health-cmd', 'false', '--health-interval', '200ms', '--health-retries', '1000', BUSYBOX, 'sleep', '100'])
    await until('healthy, and a failing streak of 2', () => / \(healthy\)/.test(status('fine')) && inspect(failing).State.Health.FailingStreak >= 2)
    expect(env.run(['stop', '-t', '0', 'fine', 'failing']).status).toBe(0)
    const stopped = inspect(fine).State.Health
    expect(stopped).toMatchObject({ Status: 'unhealthy', FailingStreak: 0 })
    expect(stopped.Log.at(-1)).toMatchObject({ ExitCode: 0 })
    const streak = inspect(failing).State.Health
    expect(streak.Status).toBe('unhealthy')
    expect(streak.FailingStreak).toBeGreaterThanOrEqual(2)
    // the whole log in the message when it fails (it did once in a loaded CI run: what did those checks say?)
    expect(streak.Log.map((e: { ExitCode: number; Output: string }) => [e.ExitCode, e.Output])).toContainEqual([1, ''])
    // ps: Exited, no health in STATUS (Docker's State.String); --filter health= sees the status
    expect(status('fine')).toMatch(/Exited \(\d+\) .*ago\s+fine$/)
    expect(status('fine')).not.toMatch(/healthy|health:/)
    const byHealth = (h: string) => env.run(['ps', '-a', '--filter', `health=${h}`, '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean).sort()
    expect(byHealth('unhealthy')).toEqual(['failing', 'fine'])
    expect(byHealth('healthy')).toEqual([])
    // a new start: starting, no streak, the last run's results still in the log (initHealthMonitor)
    const before = stopped.Log.map((e: { Start: string }) => e.Start)
    expect(env.run(['start', 'fine']).status).toBe(0)
    const again = inspect(fine).State.Health
    expect(again.Status).toMatch(/^(starting|healthy)$/)
    expect(again.FailingStreak).toBe(0)
    expect(again.Log.some((e: { Start: string }) => before.includes(e.Start))).toBe(true)
  })

  it('a check killed with its container says nothing of its health (Docker drops a probe that ends after the exit); one killed on its own while the container runs is a failure, 137', async () => {
    // the check runs when the container is stopped: the stop's cgroup.kill takes it too. Its monitor is held
    // meanwhile, so the container's process stays a zombie, not reaped: "gone" all the same
    const ctl = control('inflight')
    const id = detached([...ctl.bind, '--name', 'inflight', '--health-cmd', 'touch /ctl/checking; sleep 60', '--health-interval', '100ms', '--health-timeout', '2m', BUSYBOX, 'sleep', '100'])
    await until('a check running', () => existsSync(join(env.dir, 'inflight-ctl', 'checking')))
    const monitor = inspect(id).MonitorPid as number
    process.kill(monitor, 'SIGSTOP')
    let stop: ReturnType<typeof miniRunAsync> | undefined
    try {
      stop = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'stop', '-t', '0', 'inflight'])
      await until('the container\'s process killed', () => readProcStat(inspect(id).State.Pid)?.state === 'Z' || readProcStat(inspect(id).State.Pid) === undefined)
      // the runner sees its check's end, 137, and then a zombie
      await new Promise((r) => setTimeout(r, 500))
    } finally {
      process.kill(monitor, 'SIGCONT')
    }
    expect((await stop!.done).status).toBe(0)
    await until('the runner gone', () => !running(runner(id)))
    expect(inspect(id).State.Health).toMatchObject({ Status: 'unhealthy', FailingStreak: 0, Log: [] })

    // killed while the container's process still runs, which ends a moment later (its TERM trap waits for
    // its sleep): the SIGKILL was its end's, not a verdict on its health
    const ends = detached(['--name', 'ends', '--health-cmd', 'kill -TERM 1; kill -9 $$', '--health-interval', '200ms', BUSYBOX,
      'sh', '-c', 'trap "exit 3" TERM; while :; do sleep 0.5; done'])
    await until('the container ended by its check', () => inspect(ends).State.Status === 'exited', 15_000)
    await until('its runner gone', () => !running(runner(ends)))
    expect(inspect(ends).State).toMatchObject({ ExitCode: 3, Health: { Status: 'unhealthy', FailingStreak: 0, Log: [] } })

    // `kill -9 $$`: the check's own shell killed, the container running on
    const self = detached(['--name', 'selfkill', '--health-cmd', 'kill -9 $$', '--health-interval', '200ms', BUSYBOX, 'sleep', '100'])
    await until('a check killed by SIGKILL, recorded', () => (inspect(self).State.Health.Log as { ExitCode: number }[]).some((e) => e.ExitCode === 137), 15_000)
    expect(inspect(self).State).toMatchObject({ Running: true, Health: { Status: 'starting' } })
    expect(inspect(self).State.Health.FailingStreak).toBeGreaterThanOrEqual(1)
  })

  it('every later start has a runner of its own again: start after stop, restart, and a restart policy', async () => {
    const id = detached(['--name', 'again', '--health-cmd', 'true', '--health-interval', '200ms', BUSYBOX, 'sleep', '100'])
    await until('healthy', () => / \(healthy\)/.test(status('again')))
    const first = runner(id)
    expect(env.run(['stop', '-t', '0', 'again']).status).toBe(0)
    await until('the first runner to leave', () => !running(first))
    expect(env.run(['start', 'again']).status).toBe(0)
    await until('healthy under a new runner', () => / \(healthy\)/.test(status('again')) && runner(id) !== first && running(runner(id)))
    const second = runner(id)
    expect(env.run(['restart', '-t', '0', 'again']).status).toBe(0)
    await until('healthy under a third runner', () => / \(healthy\)/.test(status('again')) && runner(id) !== second && running(runner(id)))

    // the policy's start (internal cleanup -> start-existing.ts) is one too; its health starts over.
    // Its first life fails when the test says, and the next one stays: a slow ps and inspect see both
    const ctl = control('flaky')
    const flaky = detached([...ctl.bind, '--name', 'flaky', '--restart', 'always', '--health-cmd', 'true', '--health-interval', '200ms', BUSYBOX,
      'sh', '-c', 'if [ -e /ctl/ran ]; then exec sleep 100; fi; touch /ctl/ran; until [ -e /ctl/fail ]; do sleep 0.1; done; exit 1'])
    await until('a runner', () => running(runner(flaky)))
    const before = runner(flaky)
    ctl.touch('fail')
    await until('restarted, with a runner again', () => inspect(flaky).RestartCount >= 1 && inspect(flaky).State.Running === true && running(runner(flaky)) && runner(flaky) !== before, 15_000)
    expect(inspect(flaky).State.Health.Status).toMatch(/^(starting|healthy)$/)
  })
})
