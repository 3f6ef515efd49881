// Issue 13, who may do what: a rootless user's store and state are theirs
// alone (0700); logs, exit records and state files are not world-readable;
// a rootless mini-run cannot see or touch root's containers, nor another
// user's.
import { execFileSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTempDir, runAs, stageCli, type StagedCli } from './helpers/as-user.js'
import { until } from './helpers/reliability.js'
import { BUSYBOX, BUSYBOX_OCI, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const ALICE = 40_121
const BOB = 40_122
const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0')

describe.skipIf(!isRoot)('store, state and logs: whose they are (needs root: other users through setpriv)', () => {
  let env: TestEnv
  let dir: string
  let staged: StagedCli
  const home = (uid: number) => join(dir, `home-${uid}`)
  const as = (uid: number, args: string[]) => runAs(uid, uid, [staged.cli, ...args], { HOME: home(uid), XDG_RUNTIME_DIR: join(home(uid), 'run') })

  beforeAll(async () => {
    env = await makeTestEnv()
    dir = openTempDir('mini-run-rel-perm-')
    staged = stageCli(dir)
    // an OCI layout every user may read
    cpSync(BUSYBOX_OCI, join(dir, 'busybox-oci'), { recursive: true })
    execFileSync('chmod', ['-R', 'a+rX', join(dir, 'busybox-oci')])
    for (const uid of [ALICE, BOB]) {
      mkdirSync(join(home(uid), 'run'), { recursive: true })
      execFileSync('chown', ['-R', `${uid}:${uid}`, home(uid)])
      chmodSync(join(home(uid), 'run'), 0o700)
    }
  }, 60_000)
  afterAll(() => {
    const ids = env?.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean) ?? []
    if (ids.length) env.run(['rm', '-f', ...ids])
    env?.cleanup()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('a rootless user\'s store and state directories are theirs alone (0700)', () => {
    const load = as(ALICE, ['load', '-i', join(dir, 'busybox-oci')])
    expect(load.stderr).toBe('')
    const store = join(home(ALICE), '.local', 'share', 'mini-run')
    expect(mode(store)).toBe('0700')
    for (const sub of readdirSync(store)) expect({ sub, mode: mode(join(store, sub)) }).toEqual({ sub, mode: '0700' })
    // the state directory, made by a command that records a container
    as(ALICE, ['run', '--rm', '--name', 'xx', 'localhost/mini-run/busybox', 'true'])
    expect(mode(join(home(ALICE), 'run', 'mini-run'))).toBe('0700')
  })

  it('a detached container\'s log, exit record and state file are not readable by other users', async () => {
    const id = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'echo secret-output']).stdout.trim()
    await until('the exit record', () => JSON.parse(env.run(['inspect', id]).stdout)[0].State.Status === 'exited')
    const dirOf = join(env.stateRoot, id)
    for (const file of ['container.log', 'exit.json', 'state.json']) {
      expect({ file, othersMayRead: (statSync(join(dirOf, file)).mode & 0o004) !== 0 }).toEqual({ file, othersMayRead: false })
    }
    expect(mode(env.stateRoot)).toBe('0700')
    expect(env.run(['rm', id]).status).toBe(0)
  })

  it('a rootless mini-run can neither see nor touch root\'s containers, nor another user\'s', () => {
    const id = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '30']).stdout.trim()
    // root's state and store, named explicitly: refused, nothing listed or removed
    for (const args of [['--state', env.stateRoot, 'ps', '-a'], ['--state', env.stateRoot, 'rm', '-f', id], ['--root', env.storeRoot, 'images']]) {
      const r = as(BOB, args)
      // 1: Docker's CLI's exit for an error of a verb other than run and create
      expect({ args, status: r.status }).toEqual({ args, status: 1 })
      expect(r.stderr).toMatch(/belongs to uid 0, not to you \(uid 40122\)|permission denied \(it is not yours\)/)
    }
    // by default, its own (empty) state: root's container is not there
    expect(as(BOB, ['ps', '-a', '-q']).stdout).toBe('')
    expect(env.run(['ps', '-q']).stdout).toBe(`${id.slice(0, 12)}\n`)
    // another user's state directory
    const alices = as(BOB, ['--state', join(home(ALICE), 'run', 'mini-run'), 'ps', '-a'])
    expect(alices.status).toBe(1)
    expect(alices.stderr).toMatch(/^mini-run: state directory .*: (belongs to uid 40121, not to you|permission denied \(it is not yours\))/)
    expect(env.run(['rm', '-f', id]).status).toBe(0)
  })
})
