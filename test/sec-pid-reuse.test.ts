/**
 * A container's recorded pid is trusted only while it still names the
 * container's own process. With --pid host, a PID 1 that exits may leave a
 * `setsid` child in the cgroup: the old code called the container Up (its
 * cgroup was populated), and once a host process took the old pid (forced
 * here with clone3's set_tid; with pid_max 32768 it also happens by itself)
 * `exec` joined that host process's namespaces and `kill`/`stop` signalled
 * it. Now every action goes through a pidfd checked against the recorded
 * start time, and the status is the container process's own.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildStaticHelper, hasGcc } from './helpers/static-c.js'
import { until } from './helpers/until.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'


/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !'ZX'.includes(stat[stat.lastIndexOf(')') + 2]!)
  } catch {
    return false
  }
}

describe.skipIf(!isRoot || !hasGcc)('sec: a dead container\'s pid, reused by a host process (needs root and gcc)', () => {
  let env: TestEnv
  let id: string
  let oldPid: number
  let pidAt: string
  let holder: ChildProcess | undefined
  let heldPid: number | undefined
  const inspect = () => JSON.parse(env.run(['inspect', id]).stdout)[0]

  beforeAll(async () => {
    env = await makeTestEnv()
    const helperDir = join(env.dir, 'helper')
    mkdirSync(helperDir)
    pidAt = buildStaticHelper('pid-at', helperDir)
    const r = env.run(['run', '-d', '--pid', 'host', '--cgroup-parent', env.cgroupParent, BUSYBOX,
      'sh', '-c', 'setsid sleep 60 </dev/null >/dev/null 2>&1 & exit 0'])
    expect(r.stderr).toBe('')
    id = r.stdout.trim()
    oldPid = (JSON.parse(readFileSync(join(env.stateRoot, id, 'state.json'), 'utf8')) as { pid: number }).pid
    expect(oldPid).toBeGreaterThan(1)
  })
  afterAll(async () => {
    if (heldPid !== undefined && running(heldPid)) process.kill(heldPid, 'SIGKILL')
    if (holder && holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL')
    if (env) {
      if (id) env.run(['rm', '-f', id])
      const left = env.leftovers()
      env.cleanup()
      expect(left).toEqual([])
    }
  })

  it('a PID 1 that exited is exited, even with a stray process left in its cgroup', async () => {
    await until('the container\'s PID 1 to be reaped', () => !existsSync(`/proc/${oldPid}`))
    await until('its monitor to record the exit', () => existsSync(join(env.stateRoot, id, 'exit.json')))
    const cgroup = (JSON.parse(readFileSync(join(env.stateRoot, id, 'state.json'), 'utf8')) as { cgroup?: string }).cgroup
    if (cgroup) expect(readFileSync(join(cgroup, 'cgroup.events'), 'utf8')).toMatch(/^populated 1$/m)
    const info = inspect()
    expect(info.State).toMatchObject({ Status: 'exited', Running: false, Pid: 0 })
    const ps = env.run(['ps', '-a']).stdout
    expect(ps).toMatch(new RegExp(`^${id.slice(0, 12)}\\s.*Exited \\(0\\)`, 'm'))
  })

  /** A host process of our own on the container's old pid (made once). */
  const holdOldPid = async (): Promise<number> => {
    if (heldPid !== undefined) return heldPid
    await until('the container\'s PID 1 to be reaped', () => !existsSync(`/proc/${oldPid}`))
    holder = spawn(pidAt, [String(oldPid)], { stdio: ['ignore', 'pipe', 'inherit'] })
    const [line] = await Promise.race([
      createInterface({ input: holder.stdout! })[Symbol.asyncIterator]().next().then((n) => [n.value as string | undefined]),
      sleep(5_000).then(() => [undefined]),
    ])
    expect(line, 'pid-at could not take the old pid').toBe(String(oldPid))
    heldPid = oldPid
    expect(running(heldPid)).toBe(true)
    return heldPid
  }

  it('exec does not join a host process that took the old pid', async () => {
    await holdOldPid()
    const exec = env.run(['exec', id, 'hostname'])
    expect(exec.stdout).toBe('') // the host's hostname, had it joined its UTS namespace
    expect(exec.stderr).toBe(`mini-run: container ${id.slice(0, 12)} is not running\n`)
    expect(exec.status).toBe(1)
  })

  it('kill and stop do not signal a host process that took the old pid', async () => {
    const held = await holdOldPid()
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      const kill = env.run(['kill', '-s', signal, id])
      expect(kill.stderr).toMatch(/is not running/)
      expect(kill.status).toBe(1)
      await sleep(100)
      expect(running(held), `kill -s ${signal} reached the host process`).toBe(true)
    }
    const stop = env.run(['stop', '-t', '1', id])
    expect(stop.stderr).toBe('')
    expect(stop.status).toBe(0)
    await sleep(100)
    expect(running(held), 'stop reached the host process').toBe(true)
    expect(inspect().State.Status).toBe('exited')
  })
})
