// Issue 13, the terminal goes away: a foreground `run -it` whose terminal
// is closed (a killed tmux session, a dropped SSH connection) hangs the
// container's terminal up, stops it after a grace period and cleans up as
// --rm says, instead of running on for good with the runtime reparented to
// init; the same when the stdout pipe of a run without -t loses its reader.
// And a stdin that is no terminal: -it refuses it instead of hanging, -t
// without -i relays no input.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, miniRunAsync } from './helpers/cli.js'
import { until } from './helpers/reliability.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const PTY_HANGUP = fileURLToPath(new URL('./helpers/pty-hangup.py', import.meta.url))

describe.skipIf(!isRoot)('the runtime\'s terminal goes away (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  const hangUp = (args: string[]) =>
    JSON.parse(execFileSync('python3', [PTY_HANGUP, 'mini-run', ...env.runArgs(['-it', ...args])], { encoding: 'utf8', env: cliEnv() })) as {
      output: string
      ended: boolean
      status: number
      seconds: number
    }

  it('run -it --rm: closing its terminal hangs the container\'s up at once (its session leader gets SIGHUP), and it is removed', () => {
    const shared = join(env.dir, 'shared-tty')
    mkdirSync(shared)
    // a PID 1 that asked for SIGHUP gets the kernel's (the session leader's, tty_vhangup)
    const script = 'trap "echo hup > /shared/hup; exit 0" HUP; echo ready; while :; do sleep 0.05; done'
    const result = hangUp(['-v', `${shared}:/shared`, BUSYBOX, 'sh', '-c', script])
    expect(result.output).toContain('ready')
    expect(result.ended).toBe(true)
    // the container's code, from its trap: the hangup itself ended it, not the SIGKILL after the grace
    // period (137), nor Node's abort on the hung-up terminal (SIGABRT, terminal-gone.ts)
    expect(result.status).toBe(0)
    expect(readFileSync(join(shared, 'hup'), 'utf8')).toBe('hup\n')
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('run -it --rm: a PID 1 that ignores the hangup (an interactive shell) is stopped after the grace period, and removed', () => {
    const result = hangUp([BUSYBOX, 'sh', '-c', 'echo ready; while :; do sleep 0.05; done'])
    expect(result.ended).toBe(true)
    expect(result.status).toBe(137)
    expect(result.seconds).toBeGreaterThan(1.5)
    expect(result.seconds).toBeLessThan(8)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('run without -t: its stdout pipe losing its reader stops the container and cleans up', async () => {
    const run = miniRunAsync(env.runArgs([BUSYBOX, 'sh', '-c', 'echo ready; sleep 60; true']), { stdio: ['ignore', 'pipe', 'pipe'] })
    await until('ready', () => run.output().includes('ready'))
    const t0 = Date.now()
    run.child.stdout!.destroy() // the reader goes, as a closed SSH channel
    const r = await run.done
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(r.signal).toBe(null)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('run without -t, its stdout a terminal: closing that terminal stops the container after the grace period, and removes it', () => {
    // no -it here: the runtime's stdout is the pty, so only its hangup (POLLHUP,
    // watched once isTerminal says it is a terminal) ends a PID 1 that ignores SIGHUP
    const result = JSON.parse(execFileSync('python3', [PTY_HANGUP, 'mini-run', ...env.runArgs([BUSYBOX, 'sh', '-c', 'echo ready; while :; do sleep 0.05; done'])], { encoding: 'utf8', env: cliEnv() })) as { ended: boolean; status: number; seconds: number }
    expect(result.ended).toBe(true)
    expect(result.status).toBe(137)
    expect(result.seconds).toBeGreaterThan(1.5)
    expect(result.seconds).toBeLessThan(8)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('without -t, a SIGHUP alone is forwarded and the container goes on (kill -HUP reloads a daemon)', async () => {
    const shared = join(env.dir, 'shared-hup')
    mkdirSync(shared)
    const run = miniRunAsync(env.runArgs(['-v', `${shared}:/shared`, BUSYBOX, 'sh', '-c', 'trap "echo reloaded > /shared/r" HUP; echo ready; for i in $(seq 30); do sleep 0.1; done; echo done']))
    await until('ready', () => run.output().includes('ready'))
    run.child.kill('SIGHUP')
    const r = await run.done
    expect(r.stdout).toBe('ready\ndone\n')
    expect(r.status).toBe(0)
    expect(existsSync(join(shared, 'r'))).toBe(true)
  })

  it('run -it with a pipe as stdin is refused at once, as Docker does; so is exec -it', () => {
    const t0 = Date.now()
    const r = spawnSync('mini-run', env.runArgs(['-it', BUSYBOX, 'sh']), { input: 'echo piped\n', encoding: 'utf8', env: cliEnv(), timeout: 20_000 })
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(r.stderr).toBe('mini-run: the input device is not a TTY: -t needs a terminal as stdin (leave -t out to pipe input)\n')
    // docker/cli's CheckTty error is no StatusError: exit 1, as exec's
    expect(r.status).toBe(1)
    const id = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '30']).stdout.trim()
    const e = spawnSync('mini-run', ['--root', env.storeRoot, '--state', env.stateRoot, 'exec', '-it', id, 'sh'], { input: 'echo piped\n', encoding: 'utf8', env: cliEnv(), timeout: 20_000 })
    expect(e.stderr).toMatch(/^mini-run: the input device is not a TTY/)
    expect(e.status).toBe(1)
  })

  it('-t without -i gives the container a terminal but none of the caller\'s input', () => {
    const r = spawnSync('mini-run', env.runArgs(['-t', BUSYBOX, 'sh', '-c', 'read -t 1 line; echo "[$line]"']), { input: 'typed\n', encoding: 'utf8', env: cliEnv(), timeout: 20_000 })
    expect(r.stdout.replace(/\r/g, '')).toBe('[]\n')
    expect(r.status).toBe(0)
  })
})
