// Issue 13: 200 operations (pull, run -d, run --rm, exec, rm -f, rmi, prune,
// a contested name) from 4 workers at once on one store and state, a
// third of them SIGKILLed at a random moment. Every failure is one line;
// afterwards `system check` is clean, and once every container and image is
// removed nothing is left behind. The seed is printed: MINI_RUN_TEST_SEED=N
// replays a run.
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv } from './helpers/cli.js'
import { pushRunnable, randomLayer, until, type PushedImage } from './helpers/reliability.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'
import { isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const unavailable = registryUnavailable()
const OPERATIONS = 200
const WORKERS = 4

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe.skipIf(!isRoot || unavailable !== undefined)(`random operations with random kills (needs root and docker-registry${unavailable ? `: ${unavailable}` : ''})`, () => {
  let env: TestEnv
  let registry: RegistryServer
  let images: PushedImage[]
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
    registry = await startRegistry()
    images = [
      await pushRunnable(registry.url, registry.host, 'random/a', '1', [randomLayer('a', 200_000)], env.dir),
      await pushRunnable(registry.url, registry.host, 'random/b', '1', [randomLayer('b', 200_000), randomLayer('c', 100_000)], env.dir),
    ]
  }, 60_000)
  afterAll(async () => {
    await registry?.stop()
    env?.cleanup()
  })

  const globals = () => ['--root', env.storeRoot, '--state', env.stateRoot]

  it(`${OPERATIONS} operations from ${WORKERS} workers, some killed: one-line failures, a clean check, nothing left`, async () => {
    const seed = Number(process.env.MINI_RUN_TEST_SEED ?? Date.now() % 1_000_000)
    console.log(`random-kills seed: ${seed}`)
    const rand = random(seed)
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
    const ids = () => env.run([...globals(), 'ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    const running = () => env.run([...globals(), 'ps', '-q']).stdout.trim().split('\n').filter(Boolean)
    const cg = ['--cgroup-parent', env.cgroupParent]
    const operations: Record<string, () => string[]> = {
      pull: () => ['pull', '-q', pick(images).ref],
      'run -d': () => ['run', '-d', ...cg, pick(images).ref, 'sleep', String(pick([0.2, 1, 2]))],
      'run --rm': () => ['run', '--rm', ...cg, pick(images).ref, 'true'],
      'run -d --name': () => ['run', '-d', '--name', 'contested', ...cg, pick(images).ref, 'sleep', '1'],
      exec: () => ['exec', pick([...running(), 'nosuch']), 'true'],
      'rm -f': () => ['rm', '-f', pick([...ids(), 'nosuch'])],
      rmi: () => ['rmi', ...(rand() < 0.5 ? ['-f'] : []), pick(images).ref],
      prune: () => ['image', 'prune', '-f'],
    }
    const names = Object.keys(operations)
    const failures: string[] = []
    let started = 0
    let killed = 0

    async function once(): Promise<void> {
      const op = pick(names)
      const args = [...globals(), ...operations[op]!()]
      const child: ChildProcess = spawn('mini-run', args, { stdio: ['ignore', 'ignore', 'pipe'], env: cliEnv() })
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      const kill = rand() < 0.3 ? sleep(Math.floor(rand() * 250)).then(() => child.kill('SIGKILL') && killed++) : undefined
      const code = await exited
      await kill
      // a killed command says nothing; one that fails says it in a line (or the pull's progress lines)
      const lines = stderr.split('\n').filter((l) => l && !/^Unable to find image|^[0-9a-f]{12}: |^\S+: Pulling from|^Digest: |^Status: /.test(l))
      if (code !== 0 && code !== null && lines.length > 1) failures.push(`${op}: ${stderr}`)
      if (/^\s+at |TypeError|ReferenceError|undefined/m.test(stderr)) failures.push(`${op}: ${stderr}`)
    }

    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (started < OPERATIONS) {
          started++
          await once()
        }
      }),
    )
    console.log(`random-kills: ${OPERATIONS} operations, ${killed} killed`)
    expect(failures).toEqual([])

    // every container ends (the longest sleeps 2 s); those killed with their runtime are settled by the looks
    await until('every container to end', () => running().length === 0, 30_000)
    const check = env.run([...globals(), 'system', 'check', '--cgroup-parent', env.cgroupParent])
    expect(check.stdout.split('\n').filter((l) => l && !l.startsWith('collected: '))).toEqual([expect.stringMatching(/^system check: no problems/)])
    expect(check.status).toBe(0)

    // and everything can be removed, leaving nothing
    const left = ids()
    if (left.length) env.run([...globals(), 'rm', '-f', ...left])
    for (const image of images) env.run([...globals(), 'rmi', '-f', image.ref])
    expect(env.run([...globals(), 'image', 'prune', '-f']).status).toBe(0)
    expect(env.leftovers()).toEqual([])
    for (const dir of ['layers', 'refs', 'blobs/sha256', 'tmp', 'leases']) expect({ dir, entries: readdirSync(join(env.storeRoot, dir)) }).toEqual({ dir, entries: [] })
  }, 180_000)
})
