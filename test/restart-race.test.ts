/**
 * `rm -f` and `stop` while a restart policy is starting the container
 * again. The race is held open at a pause point (src/crash-point.ts:
 * pausePoint): the restart has started the new process and read the state,
 * and waits before writing it. The mark rm -f or stop sets then (stopped by
 * its user: no restart) used to be overwritten by the restart's write, and
 * the policy started the container again and again. The restart's read and
 * write are one update now (state.ts updateState): the mark waits for it, and
 * the command stops what the restart started.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { miniRunAsync } from './helpers/cli.js'
import { waitsForLock } from './helpers/locks.js'
import { until } from './helpers/until.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'


/** Processes whose command line is exactly argv. */
function processesOf(argv: string[]): number[] {
  const want = argv.join('\0') + '\0'
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1') === want
      } catch {
        return false
      }
    })
    .map(Number)
}

describe.skipIf(!isRoot)('rm -f racing a restart (needs root: containers)', () => {
  let env: TestEnv
  let release: string
  beforeAll(async () => {
    env = await makeTestEnv()
    release = join(env.dir, 'release')
  })
  afterAll(() => {
    // a failed test must not leave the restart waiting
    writeFileSync(release, '')
    env?.cleanup()
  })

  /** A container whose policy starts it again, paused in that start before its state is written. */
  async function restartingPaused(name: string): Promise<{ ctl: string; sleeper: string[]; stateFile: string }> {
    rmSync(release, { force: true })
    rmSync(`${release}.paused`, { force: true })
    const ctl = join(env.dir, `${name}-ctl`)
    mkdirSync(ctl)
    // its first life ends at once (the policy starts it again); every later one stays up
    const sleeper = ['sleep', String(900_000 + Math.floor(Math.random() * 99_999))]
    const command = `echo life >> /ctl/lives; if [ -e /ctl/ran ]; then exec ${sleeper.join(' ')}; fi; touch /ctl/ran; exit 3`
    const pause = { ...process.env, MINI_RUN_PAUSE_AT: 'restart:before-write', MINI_RUN_PAUSE_FILE: release }
    const r = env.run(['run', '-d', '--restart', 'always', '--name', name, '-v', `${ctl}:/ctl`, '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', command], { env: pause })
    expect(r.stderr).toBe('')
    await until('the restart to pause', () => existsSync(`${release}.paused`), 20_000, 20)
    await until('the restarted process', () => processesOf(sleeper).length === 1, 20_000, 20)
    return { ctl, sleeper, stateFile: join(env.stateRoot, r.stdout.trim(), 'state.json') }
  }

  /** Run the command against the paused restart: let the restart write once the command has marked it, or waits to. */
  async function racing(args: string[], stateFile: string) {
    const cmd = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
    const marked = () => existsSync(stateFile) && (JSON.parse(readFileSync(stateFile, 'utf8')) as { stoppedByUser?: boolean }).stoppedByUser === true
    await until(`${args[0]} to mark it`, () => marked() || waitsForLock(cmd.child.pid!), 20_000, 20)
    writeFileSync(release, '')
    return cmd.done
  }

  it('rm -f removes it all, the process the restart started included, and no policy starts it again', async () => {
    const { ctl, sleeper, stateFile } = await restartingPaused('race-rm')
    const removed = await racing(['rm', '-f', 'race-rm'], stateFile)
    expect(removed.stderr).toBe('')
    expect(removed.status).toBe(0)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    expect(processesOf(sleeper)).toEqual([])
    expect(env.leftovers()).toEqual([])
    // the first life and the restart's
    expect(readFileSync(join(ctl, 'lives'), 'utf8')).toBe('life\nlife\n')
  }, 60_000)

  it('while the restart is under way, ps and inspect show the last exit (Restarting (3) ... ago), not an unknown one', async () => {
    const { stateFile } = await restartingPaused('race-ps')
    // held after the new process started and before its state is written: the old pid is gone, and so is its exit record
    const status = env.run(['ps', '-a', '--filter', 'name=race-ps', '--format', '{{.Status}}']).stdout
    expect(status).toMatch(/^Restarting \(3\) (Less than a second|\d+ seconds?) ago\n$/)
    const [info] = JSON.parse(env.run(['inspect', 'race-ps']).stdout) as Array<{ State: { ExitCode: number; Restarting: boolean } }>
    expect(info!.State).toMatchObject({ ExitCode: 3, Restarting: true })
    writeFileSync(release, '')
    await until('the restart to write its state', () => (JSON.parse(readFileSync(stateFile, 'utf8')) as { exitCode?: number }).exitCode === undefined, 20_000, 20)
    expect(env.run(['ps', '--filter', 'name=race-ps', '--format', '{{.Status}}']).stdout).toMatch(/^Up /)
    expect(env.run(['rm', '-f', 'race-ps']).status).toBe(0)
    expect(env.leftovers()).toEqual([])
  }, 60_000)

  it('stop stops what the restart started, and it stays stopped', async () => {
    const { ctl, sleeper, stateFile } = await restartingPaused('race-stop')
    const stopped = await racing(['stop', '-t', '1', 'race-stop'], stateFile)
    expect(stopped.stderr).toBe('')
    expect(stopped.status).toBe(0)
    expect(processesOf(sleeper)).toEqual([])
    // long enough for the policy's next start (its back-off is 100 to 200 ms here)
    await sleep(1500)
    const [info] = JSON.parse(env.run(['inspect', 'race-stop']).stdout) as Array<{ State: { Status: string } }>
    expect(info!.State.Status).toBe('exited')
    expect(readFileSync(join(ctl, 'lives'), 'utf8')).toBe('life\nlife\n')
    expect(env.run(['rm', 'race-stop']).status).toBe(0)
    expect(env.leftovers()).toEqual([])
  }, 60_000)
})
