// Issue 13, lost state: the process that waits for a container (the
// foreground runtime, or run -d's monitor) is killed with SIGKILL. The
// container runs on; once it ends, ps, inspect and wait tell the truth
// (Exited (255), Docker's value for an exit nobody saw, with the time it was
// noticed), and --rm is carried out by the next command that looks. And the
// rule for failed starts: whatever fails, nothing is left.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { miniRunAsync } from './helpers/cli.js'
import { until } from './helpers/reliability.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('a killed runtime or monitor, and failed starts (needs root)', () => {
  let env: TestEnv
  const globals = () => ['--root', env.storeRoot, '--state', env.stateRoot]
  const inspect = (ref: string) => JSON.parse(env.run(['inspect', ref]).stdout)[0]
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  /**
   * A container that ends when the test says (it writes go in a bind of its own), not after a
   * sleep of its own: a slow machine's ps, inspect and kill would otherwise see it already ended.
   */
  const gated = (name: string, exit: number) => {
    const dir = join(env.dir, `${name}-ctl`)
    mkdirSync(dir)
    return {
      args: ['-v', `${dir}:/ctl`, BUSYBOX, 'sh', '-c', `until [ -e /ctl/go ]; do sleep 0.1; done; exit ${exit}`],
      end: () => writeFileSync(join(dir, 'go'), ''),
    }
  }

  /** Start a foreground run and SIGKILL its runtime once the container runs. */
  async function killForeground(args: string[]): Promise<void> {
    const run = miniRunAsync([...globals(), 'run', '--cgroup-parent', env.cgroupParent, ...args])
    await until('the container to run', () => env.run(['ps', '-q']).stdout !== '')
    const exited = new Promise((resolve) => run.child.once('exit', resolve))
    run.child.kill('SIGKILL')
    // not run.done: the container holds the runtime's stdout, and runs on
    await exited
  }

  it('foreground runtime killed: the container runs on, then shows Exited (255) with a time; inspect and wait agree', async () => {
    const fg = gated('fg', 3)
    await killForeground(['--name', 'fg', ...fg.args])
    expect(inspect('fg').State.Status).toBe('running')
    fg.end()
    await until('the container to end', () => inspect('fg').State.Status === 'exited')
    expect(env.run(['ps', '-a']).stdout).toMatch(/Exited \(255\) (Less than a second|\d+ seconds?) ago\s+fg\n$/)
    const state = inspect('fg').State
    expect(state.ExitCode).toBe(255)
    expect(state.Error).toMatch(/exit status is unknown/)
    expect(state.FinishedAt).not.toBe('0001-01-01T00:00:00Z')
    // settled once: the same answer at every look
    expect(inspect('fg').State.FinishedAt).toBe(state.FinishedAt)
    const wait = env.run(['wait', 'fg'])
    expect(wait.stdout).toBe('255\n')
    expect(env.run(['rm', 'fg']).status).toBe(0)
  })

  it('foreground runtime of a --rm container killed: the next command after its end removes it all', async () => {
    const fgrm = gated('fgrm', 0)
    await killForeground(['--rm', '--name', 'fgrm', ...fgrm.args])
    expect(inspect('fgrm').HostConfig.AutoRemove).toBe(true)
    fgrm.end()
    await until('the container to be removed', () => env.run(['ps', '-a', '-q']).stdout === '')
    expect(env.leftovers()).toEqual([])
  })

  it('monitor killed: the container runs on, then wait and inspect say 255, and ps shows when', async () => {
    const c = gated('mon', 4)
    const id = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, ...c.args]).stdout.trim()
    process.kill(inspect(id).MonitorPid as number, 'SIGKILL')
    expect(inspect(id).State.Status).toBe('running')
    c.end()
    const waited = await miniRunAsync([...globals(), 'wait', id]).done
    expect(waited.stdout).toBe('255\n')
    expect(inspect(id).State.ExitCode).toBe(255)
    expect(env.run(['ps', '-a']).stdout).toMatch(/Exited \(255\) .* ago/)
  })

  it('monitor of a run -d --rm killed: the container is removed at the next look after its end', async () => {
    const c = gated('monrm', 0)
    const id = env.run(['run', '-d', '--rm', '--cgroup-parent', env.cgroupParent, ...c.args]).stdout.trim()
    process.kill(inspect(id).MonitorPid as number, 'SIGKILL')
    c.end()
    await until('the container to be removed', () => env.run(['ps', '-a', '-q']).stdout === '')
    expect(env.leftovers()).toEqual([])
  })

  it('a start that fails leaves nothing, whatever fails, in the foreground and detached', () => {
    const cases: { args: string[]; code: number; message: RegExp }[] = [
      { args: ['-w', '/etc/passwd', BUSYBOX, 'true'], code: 125, message: /Not a directory/ },
      { args: [BUSYBOX, 'no-such-command'], code: 127, message: /executable file not found/ },
      { args: [BUSYBOX, '/etc/passwd'], code: 126, message: /permission denied/ },
      { args: ['-u', 'nosuchuser', BUSYBOX, 'true'], code: 125, message: /nosuchuser/ },
      { args: ['-v', '/etc/passwd:/etc/hostname/x', BUSYBOX, 'true'], code: 125, message: /./ },
    ]
    for (const c of cases) {
      for (const mode of [[], ['-d']]) {
        const r = env.run(['run', ...mode, '--name', 'failing', '--cgroup-parent', env.cgroupParent, ...c.args])
        expect({ args: [...mode, ...c.args], status: r.status }).toEqual({ args: [...mode, ...c.args], status: c.code })
        expect(r.stderr.trim().split('\n')).toHaveLength(1)
        expect(r.stderr).toMatch(c.message)
        expect({ args: [...mode, ...c.args], left: env.run(['ps', '-a', '-q']).stdout, leftovers: env.leftovers() }).toEqual({
          args: [...mode, ...c.args],
          left: '',
          leftovers: [],
        })
      }
    }
  })

  it('the state records the runtime, and the state file is its owner\'s alone', async () => {
    const rec = gated('rec', 0)
    const run = miniRunAsync([...globals(), 'run', '--rm', '--name', 'rec', '--cgroup-parent', env.cgroupParent, ...rec.args])
    await until('the container to run', () => env.run(['ps', '-q']).stdout !== '')
    const id = inspect('rec').Id as string
    const file = `${env.stateRoot}/${id}/state.json`
    const state = JSON.parse(readFileSync(file, 'utf8')) as { runtime?: { pid: number } }
    expect(state.runtime?.pid).toBe(run.child.pid)
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600')
    rec.end()
    expect((await run.done).status).toBe(0)
  })
})
