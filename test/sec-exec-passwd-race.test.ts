/**
 * `exec -u NAME` must read the container's /etc/passwd and /etc/group, and
 * only those. The old code lstat-checked /proc/<pid>/root/etc/passwd and then
 * opened the path again: a container swapping the file with an absolute
 * symlink between the two (renameat2(RENAME_EXCHANGE) in a loop) made the
 * runtime read a host file (a user of the host's passwd, a root-only 0600
 * file), or hang on a host FIFO. Now the file is opened once, resolved inside
 * the container's root (openat2 RESOLVE_IN_ROOT), regular files only.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildStaticHelper, hasGcc } from './helpers/static-c.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const TRIES = 40

describe.skipIf(!isRoot || !hasGcc)('sec: exec -u reads the container\'s passwd, never the host\'s (needs root and gcc)', () => {
  let env: TestEnv
  let helperDir: string
  let hostDir: string
  const detached = (args: string[]) => {
    const r = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, '-v', `${helperDir}:/helper:ro`, ...args])
    expect(r.stderr).toBe('')
    return r.stdout.trim()
  }
  /** Start a container that swaps /etc/passwd with a symlink to `target`, forever. */
  const swapping = async (target: string) => {
    const id = detached([BUSYBOX, 'sh', '-c', `ln -s ${target} /etc/passwd.swap && exec /helper/exchange-loop /etc/passwd /etc/passwd.swap`])
    await until('the swapping container to run its loop', () => env.run(['exec', id, 'cat', '/proc/1/comm']).stdout === 'exchange-loop\n', 30_000)
    return id
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    helperDir = join(env.dir, 'helper')
    hostDir = join(env.dir, 'host')
    mkdirSync(helperDir)
    mkdirSync(hostDir, { mode: 0o700 })
    buildStaticHelper('exchange-loop', helperDir)
    // a host file only root may read, naming a user the image does not have
    writeFileSync(join(hostDir, 'passwd'), 'hostonly:x:4242:4242:host only:/:/bin/sh\n', { mode: 0o600 })
    chmodSync(join(hostDir, 'passwd'), 0o600)
    expect(spawnSync('mkfifo', [join(hostDir, 'fifo')]).status).toBe(0)
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('a symlink swapped in for /etc/passwd never leads to the host\'s file', async () => {
    const id = await swapping(join(hostDir, 'passwd'))
    for (let i = 0; i < TRIES; i++) {
      const r = env.run(['exec', '-u', 'hostonly', id, 'id', '-u'], { timeout: 15_000 })
      expect(r.stdout, `try ${i + 1}`).not.toBe('4242\n')
      expect(r.stderr, `try ${i + 1}`).toMatch(/unable to find user hostonly/)
      expect(r.status).toBe(126)
    }
  })

  it('a symlink to a host FIFO swapped in neither hangs exec nor is followed', async () => {
    const id = await swapping(join(hostDir, 'fifo'))
    for (let i = 0; i < TRIES / 2; i++) {
      // a hang on the FIFO never ends: the timeout's SIGTERM would say so
      const r = env.run(['exec', '-u', 'app', id, 'id', '-u'], { timeout: 30_000 })
      expect(r.signal, `try ${i + 1} hung`).toBeNull()
      // the container's own passwd (app is 1000), or its symlink resolved
      // inside the container, where the host's FIFO does not exist
      if (r.status === 0) expect(r.stdout).toBe('1000\n')
      else expect(r.stderr, `try ${i + 1}`).toMatch(/unable to find user app/)
    }
  })

  it('an /etc/passwd that is not a regular file is refused at once, with its name', async () => {
    const id = detached([BUSYBOX, 'sh', '-c', 'mkfifo /tmp/fifo && rm /etc/passwd && ln -s /tmp/fifo /etc/passwd && exec sleep 60'])
    await until('the container to have set up its FIFO', () => env.run(['exec', id, 'cat', '/proc/1/comm']).stdout === 'sleep\n', 30_000)
    const r = env.run(['exec', '-u', 'app', id, 'id', '-u'], { timeout: 30_000 })
    expect(r.signal).toBeNull()
    expect(r.stderr).toMatch(/\/etc\/passwd of container [0-9a-f]{12} is not a regular file/)
    expect(r.status).toBe(126)
  })
})
