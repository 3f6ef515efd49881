/**
 * What a build leaves in the store, checked from outside: umoci unpacks
 * the built image (exported as an OCI layout) and sees the whiteouts take
 * effect; `image prune` (with -a too) leaves the build cache alone, as
 * Docker 23+'s (BuildKit's cache is no image), and the next build comes from
 * it. builder prune and system prune: build-cache-prune.test.ts.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { gzipSync } from 'node:zlib'
import { sha256Digest } from '../src/image/digest.js'
import { ImageStore } from '../src/image/store.js'
import { humanSize4 } from '../src/cli/format/units.js'
import { treeSize } from '../src/system/tree-size.js'
import { miniRunAsync } from './helpers/cli.js'
import { until } from './helpers/until.js'
import { exportOciLayout, layerTars, writeContext } from './helpers/build.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const fileBytes = (path: string): number => (existsSync(path) ? statSync(path).size : 0)

const hasUmoci = (() => {
  try {
    execFileSync('umoci', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!isRoot)('built images, from outside (needs root: RUN steps are containers)', () => {
  let env: TestEnv
  const build = (args: string[]) => env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args])

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  // the image both tests look at, built once
  let built = false
  function buildImage(): void {
    if (built) return
    const ctx = writeContext(join(env.dir, 'umoci-ctx'), {
      Dockerfile: [
        `FROM ${BUSYBOX} AS build`,
        'RUN mkdir -p /opt/tool/share && echo v1 > /opt/tool/VERSION && echo doc > /opt/tool/share/doc',
        `FROM ${BUSYBOX}`,
        'COPY --from=build /opt /opt',
        'COPY hello.txt /etc/hello.txt',
        'RUN rm -rf /opt/tool/share /root && rm /bin/ping && echo changed > /etc/hello.txt',
        'USER 1000:1000',
      ].join('\n'),
      'hello.txt': 'hello\n',
    })
    const r = build(['-t', 'localhost/test/umoci:1', ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    built = true
  }

  // umoci verifies every digest and diff id, and applies whiteouts as OCI says
  test.skipIf(!hasUmoci)('umoci unpacks the built image; what RUN removed is gone', async () => {
    buildImage()
    const layout = join(env.dir, 'layout')
    await exportOciLayout(env.storeRoot, 'localhost/test/umoci:1', layout, 'v1')
    const bundle = join(env.dir, 'bundle')
    execFileSync('umoci', ['unpack', '--image', `${layout}:v1`, bundle], { stdio: 'pipe' })
    const rootfs = join(bundle, 'rootfs')
    expect(readFileSync(join(rootfs, 'opt/tool/VERSION'), 'utf8')).toBe('v1\n')
    expect(readFileSync(join(rootfs, 'etc/hello.txt'), 'utf8')).toBe('changed\n')
    for (const gone of ['opt/tool/share', 'root', 'bin/ping']) expect(existsSync(join(rootfs, gone))).toBe(false)
    expect(existsSync(join(rootfs, 'bin/ls'))).toBe(true)
    const runtimeConfig = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { user: { uid: number; gid: number } } }
    expect(runtimeConfig.process.user).toMatchObject({ uid: 1000, gid: 1000 })
  })

  test('the layers a build made come out of the store byte for byte: same diff ids, same gzipped blobs', async () => {
    // (so `save` and `push` can give the very blobs the manifest names, from the unpacked store)
    buildImage()
    const image = await new ImageStore({ root: env.storeRoot }).resolve('localhost/test/umoci:1')
    const base = await new ImageStore({ root: env.storeRoot }).resolve(BUSYBOX)
    const tars = await layerTars(env.storeRoot, 'localhost/test/umoci:1')
    const built = tars.slice(base.chainIds.length)
    expect(built).toHaveLength(3)
    built.forEach((tar, n) => {
      const i = base.chainIds.length + n
      expect(sha256Digest(tar)).toBe(image.config.rootfs.diff_ids[i])
      expect(sha256Digest(gzipSync(tar))).toBe(image.manifest.layers[i]!.digest)
    })
  })

  test('image prune, with -a too, keeps the build cache: its entries and the layers they need; the next builds come from it', async () => {
    // a store of its own: what other builds cached is not counted here
    const own = await makeTestEnv()
    try {
      pruneTest(own)
      expect(own.leftovers()).toEqual([])
    } finally {
      own.cleanup()
    }
  })

  test('a prune while a build runs leaves the layers the build still needs (its lease)', async () => {
    // the RUN goes on until the test, its prune done, puts a file in the RUN's cache mount (a directory of the store's)
    const mountsDir = join(env.storeRoot, 'build-cache', 'mounts')
    const mounts = () => (existsSync(mountsDir) ? readdirSync(mountsDir) : [])
    const mountsBefore = mounts()
    const ctx = writeContext(join(env.dir, 'lease-ctx'), {
      Dockerfile: [
        `FROM ${BUSYBOX} AS assets`,
        'COPY asset.txt /asset.txt',
        `FROM ${BUSYBOX}`,
        'RUN --mount=type=cache,id=lease-release,target=/release echo "waiting-$((1+1))"; until [ -e /release/go ]; do sleep 0.1; done; rm /release/go',
        'COPY --from=assets /asset.txt /asset.txt',
      ].join('\n'),
      'asset.txt': `asset ${Math.random()}\n`,
    })
    const running = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, '-t', 'localhost/test/lease:1', ctx])
    try {
      await until('the RUN to print waiting-2', () => /^waiting-2$/m.test(running.output()))
      // the assets stage's layer is in no image and no container now: only the lease keeps it
      const prune = env.run(['image', 'prune', '-f'])
      expect(prune.status).toBe(0)
    } catch (err) {
      // the build ends as a user's ^C ends it, its RUN's container with it
      running.child.kill('SIGINT')
      await running.done
      throw err
    } finally {
      for (const m of mounts().filter((m) => !mountsBefore.includes(m))) writeFileSync(join(mountsDir, m, 'go'), '')
    }
    const r = await running.done
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    expect(env.run(env.runArgs(['localhost/test/lease:1', 'cat', '/asset.txt'])).stdout).toMatch(/^asset /)
    // the build gave its lease back (the store's leases, store-lease.ts)
    expect(readdirSync(join(env.storeRoot, 'leases'))).toEqual([])
  })

  test('system df counts the build cache: its entries, its cache mounts, and the layers only it holds', async () => {
    const own = await makeTestEnv()
    try {
      const build = (args: string[]) => own.run(['build', '--progress', 'plain', '--cgroup-parent', own.cgroupParent, ...args])
      // the gen stage's layer is in no image: only the cache holds it
      const ctx = writeContext(join(own.dir, 'df-ctx'), {
        Dockerfile: [
          `FROM ${BUSYBOX} AS gen`,
          'RUN --mount=type=cache,target=/cache head -c 4000 /dev/zero > /cache/f && head -c 6000 /dev/zero > /big',
          `FROM ${BUSYBOX}`,
          'COPY --from=gen /big /big2',
        ].join('\n'),
      })
      expect(build(['-t', 'localhost/test/df:1', ctx]).status).toBe(0)
      const store = new ImageStore({ root: own.storeRoot })
      const imageLayers = new Set<string>()
      for (const i of await store.list()) for (const c of (await store.resolve(i.name)).chainIds) imageLayers.add(c.slice(7))
      const cacheOnly = readdirSync(join(own.storeRoot, 'layers')).filter((hex) => !imageLayers.has(hex))
      expect(cacheOnly).toHaveLength(1)
      const layerDir = join(own.storeRoot, 'layers', cacheOnly[0]!)
      const layerBytes = (await treeSize(join(layerDir, 'fs'))) + fileBytes(join(layerDir, 'blob'))
      expect(layerBytes).toBeGreaterThanOrEqual(6000)
      const steps = join(own.storeRoot, 'build-cache', 'steps')
      const entries = readdirSync(steps)
      const mounts = readdirSync(join(own.storeRoot, 'build-cache', 'mounts'))
      expect(mounts).toHaveLength(1)
      const size = entries.reduce((n, e) => n + fileBytes(join(steps, e)), 0) + 4000 + layerBytes
      const row = own.run(['system', 'df']).stdout.split('\n').find((l) => l.startsWith('Build Cache'))
      expect(row).toMatch(new RegExp(`^Build Cache\\s+${entries.length + 1}\\s+0\\s+${humanSize4(size)}\\s+${humanSize4(size)}$`))
      // -v: one record per step entry and per cache mount, BuildKit's types; a step whose layer only the cache has is not shared
      const verbose = own.run(['system', 'df', '-v']).stdout.split('\nBuild cache usage: ')[1]!
      expect(verbose.split('\n')[0]).toBe(humanSize4(size))
      const records = verbose.split('\n').slice(2).filter(Boolean)
      expect(records[0]).toMatch(/^CACHE ID\s+CACHE TYPE\s+SIZE\s+CREATED\s+LAST USED\s+USAGE\s+SHARED$/)
      expect(records.slice(1).filter((l) => /\sregular\s/.test(l))).toHaveLength(entries.length)
      expect(records.slice(1).filter((l) => /^\S+\s+exec\.cachemount\s+4kB\s.+ ago\s+.+ ago\s+N\/A\s+false$/.test(l))).toHaveLength(1)
      expect(records.slice(1).filter((l) => /\sregular\s.+\sfalse$/.test(l)).length).toBeGreaterThanOrEqual(1)
      // not counted twice: the Images row has the images' layers only, their content as `images` counts it
      const images = own.run(['system', 'df']).stdout.split('\n').find((l) => l.startsWith('Images'))
      let imageBytes = 0
      for (const hex of imageLayers) imageBytes += (await store.getLayer(`sha256:${hex}`)).size
      expect(images).toMatch(new RegExp(`^Images\\s+2\\s+0\\s+${humanSize4(imageBytes)}\\s`))
    } finally {
      own.cleanup()
    }
  })

  function pruneTest(env: TestEnv): void {
    const build = (args: string[]) => env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args])
    const ctx = writeContext(join(env.dir, 'prune-ctx'), {
      Dockerfile: [`FROM ${BUSYBOX}`, 'COPY a.txt /a.txt', 'RUN echo "step-$((1+1))" && cat /a.txt > /b.txt'].join('\n'),
      'a.txt': 'one\n',
    })
    const steps = join(env.storeRoot, 'build-cache', 'steps')
    const layersDir = join(env.storeRoot, 'layers')
    expect(build(['-t', 'localhost/test/kept:1', ctx]).status).toBe(0)
    // a second variant, untagged: its layers are only the cache's once its image goes
    writeFileSync(join(ctx, 'a.txt'), 'two\n')
    const untagged = build([ctx])
    expect(untagged.stdout).toMatch(/^step-2$/m)
    const entries = readdirSync(steps).sort()
    const layers = readdirSync(layersDir).sort()
    const fromCache = (a: string) => {
      writeFileSync(join(ctx, 'a.txt'), a)
      const r = build([ctx])
      expect(r.status).toBe(0)
      expect(r.stdout).not.toMatch(/^step-2$/m)
      expect(r.stdout).toMatch(/^--> Using cache [0-9a-f]{64}$/m)
    }

    const prune = env.run(['image', 'prune', '-f'])
    expect(prune.status).toBe(0)
    // the untagged image has no name to untag: Docker lists only what is deleted
    expect(prune.stdout).not.toMatch(/^untagged: /m)
    expect(prune.stdout).toMatch(/^deleted: sha256:[0-9a-f]{64}$/m)
    // the untagged image's manifest and config go; its layers stay, the cache's
    expect(prune.stdout).not.toMatch(/build cache/)
    expect(readdirSync(steps).sort()).toEqual(entries)
    expect(readdirSync(layersDir).sort()).toEqual(layers)
    const images = env.run(['images']).stdout
    expect(images.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(':'))).toEqual(['localhost/test/kept:1', 'localhost/test/busybox:latest'])
    fromCache('two\n')
    fromCache('one\n')

    // -a: every image no container uses goes, the built one too (a container keeps the base); the cache keeps its layers
    expect(env.run(['create', '--name', 'holds-base', BUSYBOX, 'true']).status).toBe(0)
    const all = env.run(['image', 'prune', '-a', '-f'])
    expect(all.status).toBe(0)
    expect(all.stdout).toMatch(/^untagged: localhost\/test\/kept:1$/m)
    expect(readdirSync(steps).sort()).toEqual(entries)
    expect(readdirSync(layersDir).sort()).toEqual(layers)
    fromCache('one\n')
    fromCache('two\n')
    // and rmi of what the cache also needs keeps its layers
    expect(build(['-t', 'localhost/test/kept:2', ctx]).status).toBe(0)
    expect(env.run(['rmi', 'localhost/test/kept:2']).status).toBe(0)
    expect(readdirSync(layersDir).sort()).toEqual(layers)
    fromCache('one\n')
    expect(env.run(['rm', 'holds-base']).status).toBe(0)
  }
})
