/**
 * Node reading what is not its own. Node 20 takes every `--env-file` in its
 * argv for itself (nodejs/node#54232), after the script too, unless "--"
 * ends its options first. So `node dist/mini-run.cjs run IMAGE echo
 * --env-file /nonexist` exited 9 (`node: /nonexist: not found`) instead of
 * running echo, and `run --env-file F` with F holding
 * NODE_OPTIONS=--require evil.js made mini-run, as root, run evil.js: the
 * README and the tests ran mini-run that way. They now run the `mini-run`
 * executable (its #! line is `node --`), and the launcher drops
 * NODE_OPTIONS so that nothing mini-run starts inherits it: the caller's
 * NODE_OPTIONS reached the exit command (`mini-run rm -f`) that the monitor
 * of `run -d --rm` runs after the container, as root.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.skipIf(!isRoot)('mini-run, not Node, reads its arguments and environment (needs root to run containers)', () => {
  let env: TestEnv
  let evil: string
  let marker: string
  beforeAll(async () => {
    env = await makeTestEnv()
    marker = join(env.dir, 'evil-ran')
    evil = join(env.dir, 'evil.js')
    // one line per Node that ran it: its arguments, to tell the CLI from its exit command
    writeFileSync(evil, `require('fs').appendFileSync(${JSON.stringify(marker)}, JSON.stringify(process.argv.slice(2)) + '\\n')\n`)
  })
  beforeEach(() => rmSync(marker, { force: true }))
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  const ranEvil = (): string[][] =>
    existsSync(marker) ? readFileSync(marker, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as string[]) : []

  it('gives the container an --env-file argument untouched', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'echo', '--env-file', '/nonexist']))
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('--env-file /nonexist\n')
    expect(r.status).toBe(0)
  })

  it('puts NODE_OPTIONS from an --env-file in the container\'s environment, not in its own', () => {
    const file = join(env.dir, 'node-options.env')
    writeFileSync(file, `NODE_OPTIONS=--require ${evil}\n`)
    const r = env.run(env.runArgs(['--env-file', file, BUSYBOX, 'sh', '-c', 'echo "$NODE_OPTIONS"']))
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`--require ${evil}\n`)
    expect(r.status).toBe(0)
    expect(ranEvil()).toEqual([])
  })

  it('does not pass the caller\'s NODE_OPTIONS on to the exit command of run -d --rm', async () => {
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const r = env.run([...globals, 'run', '-d', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'true'], {
      env: { ...process.env, NODE_OPTIONS: `--require ${evil}` },
    })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const id = r.stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    try {
      // the exit command has run once the container is gone: it removes it
      await until(() => env.leftovers().length === 0, `the exit command to remove ${id}`)
    } finally {
      if (env.leftovers().length > 0) env.run([...globals, 'rm', '-f', id])
    }
    // Node ran evil.js for the CLI, as its caller asked; never for `rm -f`
    const runs = ranEvil()
    expect(runs).toHaveLength(1)
    expect(runs[0]).toEqual(expect.arrayContaining(['run', '-d', '--rm', BUSYBOX]))
    expect(runs[0]).not.toContain('rm')
  })
})
