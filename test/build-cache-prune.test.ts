/**
 * Removing the build cache, as Docker 23+ (BuildKit): `builder prune`
 * removes the dangling cache (steps whose results no image has, the
 * RUN --mount=type=cache directories), with -a all of it, and the next build
 * runs those steps again; `system prune` does the same after the images.
 * That image prune keeps the cache: build-oci.test.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ImageStore } from '../src/image/store.js'
import { buildCacheUsage } from '../src/system/build-cache-resource.js'
import { miniRunAsync } from './helpers/cli.js'
import { writeContext } from './helpers/build.js'
import { until } from './helpers/until.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('builder prune and system prune remove the build cache (needs root: RUN steps are containers)', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    expect(env.leftovers()).toEqual([])
    env.cleanup()
  })

  const build = (args: string[]) => {
    const r = env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    return r.stdout
  }
  const dir = (...parts: string[]) => readdirSync(join(env.storeRoot, ...parts)).sort()
  // the gen stage's RUN result is in no image: only the cache has it
  const context = () =>
    writeContext(join(env.dir, 'ctx'), {
      Dockerfile: [
        `FROM ${BUSYBOX} AS gen`,
        'RUN --mount=type=cache,target=/cache echo "gen-$((1+1))" && echo hit >> /cache/hits && cp /cache/hits /hits && echo gen > /gen-only',
        `FROM ${BUSYBOX}`,
        'COPY --from=gen /hits /hits',
        'RUN echo "final-$((2+1))"',
      ].join('\n'),
    })
  const imageLayers = async (name: string) => new Set((await new ImageStore({ root: env.storeRoot }).resolve(name)).chainIds.map((c) => c.slice(7)))

  test('builder prune removes the dangling cache and the cache mounts, -a all of it; the next build runs those steps again', async () => {
    const ctx = context()
    expect(build(['-t', 'localhost/test/cached:1', ctx])).toMatch(/^gen-2$[^]*^final-3$/m)
    expect(build(['-t', 'localhost/test/cached:1', ctx])).not.toMatch(/^(gen-2|final-3)$/m)
    const entries = dir('build-cache', 'steps')
    expect(dir('build-cache', 'mounts')).toHaveLength(1)
    const tagged = await imageLayers('localhost/test/cached:1')
    const genLayer = dir('layers').filter((hex) => !tagged.has(hex))
    expect(genLayer).toHaveLength(1)

    // without -f it asks, and a "no" removes nothing
    const asked = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'builder', 'prune'], { stdio: ['pipe', 'pipe', 'pipe'] })
    asked.child.stdin?.end('n\n')
    const declined = await asked.done
    expect(declined.stdout).toBe('WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] ')
    expect(dir('build-cache', 'steps')).toEqual(entries)

    // the gen step's entry and layer, and the cache mount; the tagged image's steps stay
    const pruned = env.run(['builder', 'prune', '-f'])
    expect(pruned.stderr).toBe('')
    expect(pruned.status).toBe(0)
    expect(pruned.stdout).toMatch(/^Deleted build cache objects:\n([0-9a-f]{64}\n[0-9a-f]{32}\n)\nTotal reclaimed space: \d[\d.]*k?B\n$/)
    expect(dir('build-cache', 'mounts')).toEqual([])
    expect(dir('build-cache', 'steps')).toHaveLength(entries.length - 1)
    expect(dir('layers').filter((hex) => !tagged.has(hex))).toEqual([])
    const again = build(['-t', 'localhost/test/cached:1', ctx])
    expect(again).toMatch(/^gen-2$/m)
    expect(again).not.toMatch(/^final-3$/m)

    // -a: every entry, those of the tagged image too (whose layers stay, the image's)
    const all = env.run(['builder', 'prune', '-a', '-f'])
    expect(all.status).toBe(0)
    expect(all.stdout).toMatch(/^Deleted build cache objects:\n/)
    expect(dir('build-cache', 'steps')).toEqual([])
    expect(dir('build-cache', 'mounts')).toEqual([])
    expect(new Set(dir('layers'))).toEqual(tagged)
    expect(build(['-t', 'localhost/test/cached:1', ctx])).toMatch(/^gen-2$[^]*^final-3$/m)
    // once all is gone: Docker's one line
    expect(env.run(['builder', 'prune', '-a', '-f']).status).toBe(0)
    expect(env.run(['builder', 'prune', '-a', '-f']).stdout).toBe('Total reclaimed space: 0B\n')
  })

  test('system prune removes the build cache after the images: the dangling cache, with -a all of it; its warning says so', async () => {
    const ctx = context()
    build(['-t', 'localhost/test/cached:1', ctx])
    const asked = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'system', 'prune'], { stdio: ['pipe', 'pipe', 'pipe'] })
    asked.child.stdin?.end('n\n')
    expect((await asked.done).stdout).toContain('  - all dangling images\n  - unused build cache\n\n')
    const askedAll = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'system', 'prune', '-a'], { stdio: ['pipe', 'pipe', 'pipe'] })
    askedAll.child.stdin?.end('n\n')
    expect((await askedAll.done).stdout).toContain('  - all images without at least one container associated to them\n  - all build cache\n\n')
    expect(dir('build-cache', 'mounts')).toHaveLength(1)

    const pruned = env.run(['system', 'prune', '-f'])
    expect(pruned.status).toBe(0)
    expect(pruned.stdout).toMatch(/^Deleted build cache objects:\n[0-9a-f]{64}\n[0-9a-f]{32}\n\n/m)
    expect(dir('build-cache', 'mounts')).toEqual([])
    const tagged = await imageLayers('localhost/test/cached:1')
    expect(new Set(dir('layers'))).toEqual(tagged)
    expect(dir('build-cache', 'steps').length).toBeGreaterThan(0)

    const all = env.run(['system', 'prune', '-a', '-f'])
    expect(all.status).toBe(0)
    expect(all.stdout).toContain('Deleted build cache objects:\n')
    expect(dir('build-cache', 'steps')).toEqual([])
    expect(dir('layers')).toEqual([])
  })

  test('--filter until= and --keep-storage go by last use, which a cache hit renews; least recently used first', async () => {
    const ctx = context()
    build(['-t', 'localhost/test/cached:1', ctx])
    const steps = join(env.storeRoot, 'build-cache', 'steps')
    const mounts = join(env.storeRoot, 'build-cache', 'mounts')
    const entries = dir('build-cache', 'steps')
    expect(entries.length).toBeGreaterThanOrEqual(3)
    const age = (path: string, days: number) => {
      const t = new Date(Date.now() - days * 86_400_000)
      utimesSync(path, t, t)
    }
    const hex = (name: string) => name.replace(/\.json$/, '')

    // a build that hits the cache renews what it used
    for (const e of entries) age(join(steps, e), 10)
    build(['-t', 'localhost/test/cached:1', ctx])
    for (const e of entries) expect(Date.now() - statSync(join(steps, e)).mtimeMs).toBeLessThan(600_000)

    // until=24h: only what was last used before then, whatever -a allows
    const [stale, ...fresh] = entries
    age(join(steps, stale!), 2)
    const until = env.run(['builder', 'prune', '-a', '-f', '--filter', 'until=24h'])
    expect(until.stderr).toBe('')
    expect(until.stdout).toMatch(new RegExp(`^Deleted build cache objects:\n${hex(stale!)}\n\nTotal reclaimed space: `))
    expect(dir('build-cache', 'steps')).toEqual(fresh)
    expect(dir('build-cache', 'mounts')).toHaveLength(1)

    // --keep-storage a byte under the total: the least recently used record alone goes
    const [oldest, ...rest] = fresh
    for (const e of rest) age(join(steps, e), 3)
    age(join(mounts, dir('build-cache', 'mounts')[0]!), 3)
    age(join(steps, oldest!), 5)
    const total = (await buildCacheUsage({ store: new ImageStore({ root: env.storeRoot }), stateRoot: env.stateRoot })).size
    expect(env.run(['builder', 'prune', '-a', '-f', '--keep-storage', String(total)]).stdout).toBe('Total reclaimed space: 0B\n')
    const keep = env.run(['builder', 'prune', '-a', '-f', '--keep-storage', String(total - 1)])
    expect(keep.stdout).toMatch(new RegExp(`^Deleted build cache objects:\n${hex(oldest!)}\n\n`))
    expect(dir('build-cache', 'steps')).toEqual(rest)
    expect(dir('build-cache', 'mounts')).toHaveLength(1)
    // 0: everything -a allows
    expect(env.run(['builder', 'prune', '-a', '-f', '--keep-storage', '0']).status).toBe(0)
    expect(dir('build-cache', 'steps')).toEqual([])
    expect(dir('build-cache', 'mounts')).toEqual([])

    // a filter BuildKit has and mini-run's cache has no record of: one line, nothing removed
    const bad = env.run(['builder', 'prune', '-f', '--filter', 'id=abc'])
    expect(bad.status).toBe(1)
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/invalid filter "id=abc": builder prune takes until=DURATION/)])
  })

  test('a prune that takes a cache mount between a RUN\'s open and its lock: the RUN makes a new one and uses it', async () => {
    const ctx = writeContext(join(env.dir, 'race-ctx'), {
      Dockerfile: [`FROM ${BUSYBOX}`, 'RUN --mount=type=cache,target=/cache echo hit >> /cache/hits && echo "ran-$((1+1))"'].join('\n'),
    })
    const release = join(env.dir, 'release')
    const pause = { ...process.env, MINI_RUN_PAUSE_AT: 'build:cache-mount-opened', MINI_RUN_PAUSE_FILE: release }
    const running = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ctx], { env: pause })
    try {
      await until('the RUN to open its cache mount', () => existsSync(`${release}.paused`))
      const [taken] = dir('build-cache', 'mounts')
      const pruned = env.run(['builder', 'prune', '-a', '-f'])
      expect(pruned.stdout).toContain(`${taken}\n`)
      expect(dir('build-cache', 'mounts')).toEqual([])
    } finally {
      writeFileSync(release, '')
    }
    const done = await running.done
    expect(done.stderr + done.stdout).not.toMatch(/mini-run: /)
    expect(done.status).toBe(0)
    expect(done.stdout + done.stderr).toMatch(/^ran-2$/m)
    const [made] = dir('build-cache', 'mounts')
    expect(readFileSync(join(env.storeRoot, 'build-cache', 'mounts', made!, 'hits'), 'utf8')).toBe('hit\n')
  })

  test('a cache mount a running RUN uses, and the steps a running build holds, stay', async () => {
    // the RUN goes on until the test, done looking, puts a file in its cache mount
    const ctx = writeContext(join(env.dir, 'busy-ctx'), {
      Dockerfile: [`FROM ${BUSYBOX}`, 'COPY a.txt /a.txt', 'RUN --mount=type=cache,target=/cache,sharing=shared echo "waiting-$((1+1))"; until [ -e /cache/go ]; do sleep 0.1; done; rm /cache/go'].join('\n'),
      'a.txt': 'a\n',
    })
    const running = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ctx])
    try {
      await until('the RUN to print waiting-2', () => /^waiting-2$/m.test(running.output()))
      const entries = dir('build-cache', 'steps')
      expect(entries).toHaveLength(1)
      const pruned = env.run(['builder', 'prune', '-a', '-f'])
      expect(pruned.status).toBe(0)
      expect(pruned.stdout).toBe('Total reclaimed space: 0B\n')
      expect(dir('build-cache', 'mounts')).toHaveLength(1)
      expect(dir('build-cache', 'steps')).toEqual(entries)
    } catch (err) {
      // the build ends as a user's ^C ends it, its RUN's container with it
      running.child.kill('SIGINT')
      await running.done
      throw err
    } finally {
      // the RUN's cache mount, in the store: its release
      const mounts = join(env.storeRoot, 'build-cache', 'mounts')
      for (const m of existsSync(mounts) ? readdirSync(mounts) : []) writeFileSync(join(mounts, m, 'go'), '')
    }
    expect((await running.done).status).toBe(0)
    // once it is done, they go
    expect(env.run(['builder', 'prune', '-a', '-f']).stdout).toMatch(/^Deleted build cache objects:\n/)
    expect(dir('build-cache', 'mounts')).toEqual([])
  })
})
