// compose logs -f follows a container through its restarts (project-logs.ts
// stillFollowed). Two moments of a restart, taken from a real container's
// state: the monitor has written exit.json and exec'd its exit command (which
// restarts the container), seen by a reader that looked for exit.json a
// moment before; and the exit command gone once it wrote the new run's state.
// The follower ended at either, in the middle of a restart (a compose-manage
// test saw one round of three, once, on a loaded machine).
import { renameSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stillFollowed } from '../src/compose/project-logs.js'
import { monitorAlive } from '../src/runtime/container/containers.js'
import { readState, type ContainerState } from '../src/runtime/container/state.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until } from './helpers/until.js'

describe.skipIf(!isRoot)('compose logs -f through a restart (needs root)', () => {
  let env: TestEnv
  let ended: ContainerState
  beforeAll(async () => {
    env = await makeTestEnv()
    const run = env.run(['run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'true'])
    expect(run.status).toBe(0)
    const id = run.stdout.trim()
    // exited, and its monitor's exit command done
    await until('the container exited and cleaned up', () => {
      const s = readState(env.stateRoot, id)
      return env.run(['inspect', '-f', '{{.State.Status}}', id]).stdout === 'exited\n' && !monitorAlive(s, { exitCommand: true })
    })
    ended = readState(env.stateRoot, id)
  })
  afterAll(() => env?.cleanup())

  it('goes on while the monitor, exec\'d into its exit command, lives: exit.json written after the reader looked, the state without a code yet', () => {
    const exitFile = join(env.stateRoot, ended.id, 'exit.json')
    renameSync(exitFile, `${exitFile}.away`)
    try {
      // a process alive since before the container, not named mini-run-monitor: this test's, as the exit command would be
      const midExec: ContainerState = { ...ended, status: 'running', monitorPid: process.pid }
      delete midExec.exitCode
      delete midExec.finishedAt
      expect(stillFollowed(env.stateRoot, () => ({ ...midExec }))).toBe(true)
      // the exit command gone, nothing restarted: the follower ends
      expect(stillFollowed(env.stateRoot, () => ({ ...ended }))).toBe(false)
    } finally {
      renameSync(`${exitFile}.away`, exitFile)
    }
  })

  it('goes on when the state changed between its reads: the restart wrote the new run, then its command left', () => {
    let reads = 0
    const restarted: ContainerState = { ...ended, pid: ended.pid! + 1, monitorPid: ended.monitorPid! + 1 }
    expect(stillFollowed(env.stateRoot, () => (reads++ === 0 ? { ...ended } : { ...restarted }))).toBe(true)
    expect(reads).toBe(2)
  })
})
