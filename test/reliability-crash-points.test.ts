// Issue 13, crashes: MINI_RUN_CRASH_AT=<point> makes mini-run SIGKILL itself
// at a named point (src/crash-point.ts). Every point of pull, load, run,
// run -d, rm, rmi and prune is walked: the command dies there, then
// `system check` finds the store consistent (what the kill left is only
// collected), the next operation works, and once the containers are removed
// nothing is left.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CRASH_POINTS } from '../src/crash-point.js'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { pushRunnable, randomLayer, until, type PushedImage } from './helpers/reliability.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'
import { BUSYBOX, BUSYBOX_OCI, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const unavailable = registryUnavailable()

/** Every crashPoint('...') in src/, read from the source. */
function pointsInSource(dir = new URL('../src/', import.meta.url).pathname): Set<string> {
  const found = new Set<string>()
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) for (const p of pointsInSource(path)) found.add(p)
    else if (entry.name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/crashPoint\('([^']+)'\)/g)) found.add(m[1]!)
  }
  return found
}

describe('crash points', () => {
  it('the list names every point in the source, and no other', () => {
    expect([...pointsInSource()].sort()).toEqual([...new Set(Object.values(CRASH_POINTS).flat())].sort())
  })
})

describe.skipIf(!isRoot || unavailable !== undefined)(`a kill -9 at every named point (needs root and docker-registry${unavailable ? `: ${unavailable}` : ''})`, () => {
  let env: TestEnv
  let registry: RegistryServer
  let image: PushedImage
  let untaggedLayout: string
  beforeAll(async () => {
    env = await makeTestEnv()
    registry = await startRegistry()
    image = await pushRunnable(registry.url, registry.host, 'crash/img', '1', [randomLayer('data', 300_000)], env.dir)
    // an OCI layout whose image has no name: loaded, it is an untagged image, prune's to take
    untaggedLayout = join(env.dir, 'untagged-oci')
    await writeOciLayout(untaggedLayout, { layers: [randomLayer('junk', 1000)] })
  }, 60_000)
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(async () => {
    await registry?.stop()
    env?.cleanup()
  })

  const crashing = (point: string) => ({ env: { ...process.env, MINI_RUN_CRASH_AT: point } })
  const on = (store: string) => ['--root', store, '--state', env.stateRoot]
  const cg = () => ['--cgroup-parent', env.cgroupParent]
  /** The store is consistent: nothing but what killed processes left (and is collected now). */
  const checkClean = (store: string) => {
    const r = env.run([...on(store), 'system', 'check', ...cg()])
    expect(r.stdout.split('\n').filter((l) => l && !l.startsWith('collected: '))).toEqual([expect.stringMatching(/^system check: no problems/)])
    expect(r.status).toBe(0)
  }

  it.each(CRASH_POINTS.pull.map((p, i) => [p, i] as const))('pull, killed at %s', (point, i) => {
    const store = join(env.dir, `pull-${i}`)
    const killed = env.run([...on(store), 'pull', '-q', image.ref], crashing(point))
    expect(killed.signal).toBe('SIGKILL')
    checkClean(store)
    const again = env.run([...on(store), 'pull', '-q', image.ref])
    expect(again.stderr).toBe('')
    expect(again.status).toBe(0)
    expect(env.run([...on(store), 'run', '--rm', ...cg(), image.ref, 'ls', '/data']).stdout).toBe('/data\n')
    checkClean(store)
  })

  it.each(CRASH_POINTS.load.map((p, i) => [p, i] as const))('load, killed at %s', (point, i) => {
    const store = join(env.dir, `load-${i}`)
    expect(env.run([...on(store), 'load', '-i', BUSYBOX_OCI], crashing(point)).signal).toBe('SIGKILL')
    checkClean(store)
    expect(env.run([...on(store), 'load', '-i', BUSYBOX_OCI]).status).toBe(0)
    expect(env.run([...on(store), 'run', '--rm', ...cg(), 'localhost/mini-run/busybox', 'true']).status).toBe(0)
    checkClean(store)
  })

  it.each(CRASH_POINTS.run)('run --rm, killed at %s', async (point) => {
    expect(env.run([...on(env.storeRoot), 'run', '--rm', '--name', 'crashing', ...cg(), BUSYBOX, 'true'], crashing(point)).signal).toBe('SIGKILL')
    // the next command that looks finishes what the runtime left (its container has ended: true)
    await until('the container to be settled', () => env.run([...on(env.storeRoot), 'ps', '-a', '-q']).stdout === '')
    checkClean(env.storeRoot)
    // the name is free, and a run works
    expect(env.run([...on(env.storeRoot), 'run', '--rm', '--name', 'crashing', ...cg(), BUSYBOX, 'true']).status).toBe(0)
  })

  it.each(CRASH_POINTS['run -d'])('run -d, killed at %s', async (point) => {
    const killed = env.run([...on(env.storeRoot), 'run', '-d', '--name', 'crashing', ...cg(), BUSYBOX, 'sleep', '0.5'], crashing(point))
    expect(killed.signal).toBe('SIGKILL')
    // the container ran (its monitor records its end) or never did (removed at the next look)
    await until('the container to have ended', () => !env.run([...on(env.storeRoot), 'ps', '-q']).stdout)
    const left = env.run([...on(env.storeRoot), 'ps', '-a', '-q']).stdout.trim()
    if (left) expect(env.run([...on(env.storeRoot), 'rm', 'crashing']).status).toBe(0)
    checkClean(env.storeRoot)
    const again = env.run([...on(env.storeRoot), 'run', '-d', '--name', 'crashing', ...cg(), BUSYBOX, 'true'])
    expect(again.stderr).toBe('')
    expect(env.run([...on(env.storeRoot), 'rm', '-f', 'crashing']).status).toBe(0)
  })

  it.each(CRASH_POINTS.rm)('rm -f, killed at %s', (point) => {
    const id = env.run([...on(env.storeRoot), 'run', '-d', ...cg(), BUSYBOX, 'sleep', '30']).stdout.trim()
    expect(env.run([...on(env.storeRoot), 'rm', '-f', id], crashing(point)).signal).toBe('SIGKILL')
    // a second rm finishes it
    const again = env.run([...on(env.storeRoot), 'rm', '-f', id])
    expect(again.status === 0 || /no such container/.test(again.stderr)).toBe(true)
    expect(env.run([...on(env.storeRoot), 'ps', '-a', '-q']).stdout).toBe('')
    checkClean(env.storeRoot)
  })

  it.each(CRASH_POINTS.rmi.map((p, i) => [p, i] as const))('rmi, killed at %s', (point, i) => {
    const store = join(env.dir, `rmi-${i}`)
    expect(env.run([...on(store), 'load', '-i', BUSYBOX_OCI]).status).toBe(0)
    expect(env.run([...on(store), 'rmi', 'localhost/mini-run/busybox'], crashing(point)).signal).toBe('SIGKILL')
    checkClean(store)
    expect(env.run([...on(store), 'image', 'prune', '-f']).status).toBe(0)
    expect(readdirSync(join(store, 'layers'))).toEqual([])
    expect(env.run([...on(store), 'load', '-i', BUSYBOX_OCI]).status).toBe(0)
    checkClean(store)
  })

  it.each(CRASH_POINTS.prune.map((p, i) => [p, i] as const))('image prune, killed at %s', (point, i) => {
    const store = join(env.dir, `prune-${i}`)
    expect(env.run([...on(store), 'load', '-i', BUSYBOX_OCI]).status).toBe(0)
    expect(env.run([...on(store), 'load', '-i', untaggedLayout]).status).toBe(0)
    expect(env.run([...on(store), 'image', 'prune', '-f'], crashing(point)).signal).toBe('SIGKILL')
    checkClean(store)
    expect(env.run([...on(store), 'image', 'prune', '-f']).status).toBe(0)
    // the untagged image is gone, the named one runs
    expect(readdirSync(join(store, 'layers'))).toHaveLength(1)
    expect(env.run([...on(store), 'run', '--rm', ...cg(), 'localhost/mini-run/busybox', 'true']).status).toBe(0)
  })
})
