/**
 * A name's lock file goes with the name (src/image/store-locks.ts): rmi and
 * prune leave no locks/ref-*.lock of names that are gone, but for one that
 * another process holds.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { locksDir } from '../src/image/store-locks.js'
import { miniRun } from './helpers/cli.js'

let dir: string
let store: string
const cli = (...args: string[]) => miniRun(['--root', store, '--state', join(dir, 'state'), ...args])
const refLocks = () => readdirSync(locksDir(store)).filter((n) => n.startsWith('ref-')).sort()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-ref-locks-'))
  store = join(dir, 'store')
  const layout = join(dir, 'layout')
  await writeOciLayout(layout, { name: 'localhost/locks/base:1', config: { config: { Cmd: ['sh'] } }, layers: [[{ path: 'f', type: 'file', content: 'f' }]] })
  expect(cli('load', '-i', layout).status).toBe(0)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('rmi of a name removes its lock file; the names that stay keep theirs', () => {
  for (const n of ['a', 'b', 'c']) expect(cli('tag', 'localhost/locks/base:1', `localhost/locks/${n}:1`).status).toBe(0)
  expect(refLocks()).toEqual(['ref-localhost%2Flocks%2Fa%3A1.lock', 'ref-localhost%2Flocks%2Fb%3A1.lock', 'ref-localhost%2Flocks%2Fbase%3A1.lock', 'ref-localhost%2Flocks%2Fc%3A1.lock'])
  expect(cli('rmi', 'localhost/locks/a:1', 'localhost/locks/c:1').status).toBe(0)
  expect(refLocks()).toEqual(['ref-localhost%2Flocks%2Fb%3A1.lock', 'ref-localhost%2Flocks%2Fbase%3A1.lock'])
  // the name can be pointed again, and goes again
  expect(cli('tag', 'localhost/locks/base:1', 'localhost/locks/a:1').status).toBe(0)
  expect(cli('rmi', 'localhost/locks/a:1', 'localhost/locks/b:1').status).toBe(0)
  expect(refLocks()).toEqual(['ref-localhost%2Flocks%2Fbase%3A1.lock'])
})

test('rmi leaves the lock file of a name another process holds: that process is pointing the name again', async () => {
  expect(cli('tag', 'localhost/locks/base:1', 'localhost/locks/held:1').status).toBe(0)
  const path = join(locksDir(store), 'ref-localhost%2Flocks%2Fheld%3A1.lock')
  // util-linux flock(1) holds it as another mini-run would, with flock(2) on the file
  const holder = spawn('flock', ['-x', path, 'sleep', '60'], { stdio: 'ignore' })
  try {
    const taken = () => spawnSync('flock', ['-n', '-x', path, 'true']).status !== 0
    for (const deadline = Date.now() + 20_000; !taken() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10))
    expect(taken()).toBe(true)
    expect(cli('rmi', 'localhost/locks/held:1').status).toBe(0)
    expect(existsSync(path)).toBe(true)
  } finally {
    holder.kill('SIGKILL')
    await new Promise((r) => holder.once('close', r))
  }
  expect(refLocks()).toEqual(['ref-localhost%2Flocks%2Fbase%3A1.lock', 'ref-localhost%2Flocks%2Fheld%3A1.lock'])
})
