// Verbs given several containers: stop, kill, rm, pause and unpause work on
// them all at once, as Docker's CLI does (docker/cli container/utils.go,
// parallelOperation): `stop -t 2 a b c` takes 2 seconds, not 6. The names
// come out in the order given; each failure is one line after them, the
// others are still done, and the exit status is 1. restart stays one after
// the other, as Docker's restart.go.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { trapped } from './helpers/trapped.js'

describe.skipIf(!isRoot)('several containers at once: stop, kill, rm, pause, unpause (needs root)', () => {
  let env: TestEnv
  const detached = (name: string, args: string[], options: string[] = []) => {
    const r = env.run(['run', '-d', '--name', name, '--cgroup-parent', env.cgroupParent, ...options, BUSYBOX, ...args])
    expect(r.stderr).toBe('')
    return r.stdout.trim()
  }
  const state = (ref: string) => env.run(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', ref]).stdout.trim()
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('stop of three containers signals them all before any is killed; names in order, a missing one a line of its own, exit 1', async () => {
    // Each marks its SIGTERM in a shared directory, then waits for the other two marks and exits 0. Stopped
    // together, all three see the three marks and exit 0; one after the other, the first would wait for a
    // mark that comes only after its own SIGKILL at the timeout (exited 137): proof without a clock.
    const shared = mkdtempSync(join(env.dir, 'marks-'))
    const waiter = (me: string, others: string[]) =>
      `trap 'touch /s/${me}; while ${others.map((o) => `[ ! -e /s/${o} ]`).join(' || ')}; do sleep 0.05; done; exit 0' TERM; while :; do sleep 0.05; done`
    detached('slow-a', ['sh', '-c', waiter('a', ['b', 'c'])], ['-v', `${shared}:/s`])
    detached('slow-b', ['sh', '-c', waiter('b', ['a', 'c'])], ['-v', `${shared}:/s`])
    detached('slow-c', ['sh', '-c', waiter('c', ['a', 'b'])], ['-v', `${shared}:/s`])
    // one that stops at once, given last: it is still printed after the others
    detached('quick-d', ['sh', '-c', 'trap "exit 3" TERM; while :; do sleep 0.1; done'])
    // a SIGTERM before a shell's trap would be dropped (PID 1 has no default action): each has its trap first
    for (const name of ['slow-a', 'slow-b', 'slow-c', 'quick-d']) await trapped(Number(env.run(['inspect', '-f', '{{.State.Pid}}', name]).stdout), 15)
    const r = env.run(['stop', '-t', '20', 'slow-a', 'missing-x', 'slow-b', 'slow-c', 'quick-d'])
    expect(r.stdout).toBe('slow-a\nslow-b\nslow-c\nquick-d\n')
    expect(r.stderr).toBe('mini-run: no such container: missing-x\n')
    expect(r.status).toBe(1)
    expect(['slow-a', 'slow-b', 'slow-c', 'quick-d'].map(state)).toEqual(['exited 0', 'exited 0', 'exited 0', 'exited 3'])
  })

  it('pause and unpause several; kill several, a stopped one failing alone', () => {
    for (const name of ['p-one', 'p-two']) detached(name, ['sleep', '300'])
    expect(env.run(['pause', 'p-one', 'p-two'])).toMatchObject({ status: 0, stdout: 'p-one\np-two\n', stderr: '' })
    expect(['p-one', 'p-two'].map(state)).toEqual(['paused 0', 'paused 0'])
    expect(env.run(['unpause', 'p-two', 'p-one'])).toMatchObject({ status: 0, stdout: 'p-two\np-one\n', stderr: '' })
    expect(['p-one', 'p-two'].map(state)).toEqual(['running 0', 'running 0'])
    const exited = detached('k-exited', ['true'])
    expect(env.run(['wait', exited]).stdout).toBe('0\n')
    const r = env.run(['kill', 'p-one', 'k-exited', 'p-two'])
    expect(r.stdout).toBe('p-one\np-two\n')
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1)
    expect(r.stderr).toMatch(/^mini-run: .*is not running\n$/)
    expect(r.status).toBe(1)
    expect(['p-one', 'p-two'].map(state)).toEqual(['exited 137', 'exited 137'])
  })

  it('rm -f of several, one missing: said, not a failure; rm without -f removes the stopped ones and fails on the running one', () => {
    for (const name of ['r-one', 'r-two']) detached(name, ['sleep', '300'])
    const forced = env.run(['rm', '-f', 'r-one', 'missing-y', 'r-two'])
    expect(forced).toMatchObject({ status: 0, stdout: 'r-one\nr-two\n', stderr: 'mini-run: no such container: missing-y\n' })
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    detached('r-running', ['sleep', '300'])
    const stopped = detached('r-stopped', ['true'])
    env.run(['wait', stopped])
    const r = env.run(['rm', 'r-running', 'r-stopped'])
    expect(r.stdout).toBe('r-stopped\n')
    expect(r.stderr).toMatch(/^mini-run: cannot remove running container [0-9a-f]{12}: stop it first, or use rm -f\n$/)
    expect(r.status).toBe(1)
    expect(env.run(['ps', '-a', '--format', '{{.Names}}']).stdout).toBe('r-running\n')
  })

  it('one container given twice, by its name or by name and id, is acted on twice, one after the other', () => {
    detached('twice', ['sleep', '300'])
    const r = env.run(['rm', '-f', 'twice', 'twice'])
    expect(r.stdout).toBe('twice\n')
    expect(r.stderr).toBe('mini-run: no such container: twice\n')
    expect(r.status).toBe(0)
    // its name and its id are one container too: removed once, the second finds it gone
    const id = detached('both', ['sleep', '300'])
    const both = env.run(['rm', '-f', 'both', id.slice(0, 12)])
    expect([both.status, both.stdout, both.stderr]).toEqual([0, 'both\n', `mini-run: no such container: ${id.slice(0, 12)}\n`])
  })
})
