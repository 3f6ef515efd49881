/**
 * The store (src/image/store.ts): verification, atomicity, names, removal.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, test } from 'vitest'
import { MiniRunError } from '../src/errors.js'
import { sha256Digest } from '../src/image/digest.js'
import { ImageStore, defaultStoreRoot } from '../src/image/store.js'
import { MAX_BLOB_SIZE } from '../src/image/store-types.js'
import { pruneStore, removeImage } from '../src/image/store-gc.js'
import {
  addImage,
  buildLayer,
  chainIds,
  chunked,
  readTree,
  tempStore,
  tmpEntries,
  visibleStore,
  type TempStore,
} from './helpers/image-store.js'

let env: TempStore | undefined
afterEach(() => {
  env?.cleanup()
  env = undefined
})
function store(): ImageStore {
  env = tempStore()
  return env.store
}

async function rejection(p: Promise<unknown>): Promise<MiniRunError> {
  try {
    await p
  } catch (err) {
    return err as MiniRunError
  }
  throw new Error('expected a rejection')
}

describe('store root', () => {
  test('MINI_RUN_ROOT, then /var/lib/mini-run as root, else XDG_DATA_HOME', () => {
    const saved = { ...process.env }
    try {
      process.env.MINI_RUN_ROOT = '/x/y'
      expect(defaultStoreRoot()).toBe('/x/y')
      expect(new ImageStore().root).toBe('/x/y')
      expect(new ImageStore({ root: '/explicit' }).root).toBe('/explicit')
      delete process.env.MINI_RUN_ROOT
      process.env.XDG_DATA_HOME = '/data'
      expect(defaultStoreRoot()).toBe(process.getuid!() === 0 ? '/var/lib/mini-run' : '/data/mini-run')
    } finally {
      process.env = saved
    }
  })
})

describe('blobs', () => {
  test('putBlob stores verified content under blobs/sha256/<hex>', async () => {
    const s = store()
    const data = Buffer.from('{"a":1}')
    await s.putBlob(data, sha256Digest(data))
    expect(await s.getBlob(sha256Digest(data))).toEqual(data)
    expect(await s.hasBlob(sha256Digest(data))).toBe(true)
  })

  test('a digest mismatch names the digest and stores nothing', async () => {
    const s = store()
    const claimed = sha256Digest('something else')
    const err = await rejection(s.putBlob(Buffer.from('{"a":1}'), claimed))
    expect(err.code).toBe('EDIGEST')
    expect(err.message).toContain(claimed)
    expect(visibleStore(s)).toEqual([])
  })

  test('more than 4 MiB is refused', async () => {
    const s = store()
    const big = Buffer.alloc(MAX_BLOB_SIZE + 1)
    const err = await rejection(s.putBlob(big, sha256Digest(big)))
    expect(err.code).toBe('EBLOBSIZE')
    expect(visibleStore(s)).toEqual([])
  })

  test('a malformed digest is refused', async () => {
    const s = store()
    expect((await rejection(s.putBlob(Buffer.from('x'), 'sha256:XYZ'))).code).toBe('EBADDIGEST')
  })
})

describe('unpackLayer verifies while streaming and leaves nothing on failure', () => {
  const entries = [{ path: 'f', type: 'file' as const, content: 'hello' }]

  async function attempt(s: ImageStore, blob: Buffer, opts: { digest: string; size?: number; diffId: string }) {
    const err = await rejection(s.unpackLayer(chunked(blob, 64), { ...opts, chainId: opts.diffId }))
    expect(visibleStore(s).filter((p) => p.startsWith('layers/'))).toEqual([])
    expect(tmpEntries(s)).toEqual([])
    return err
  }

  test('blob digest mismatch', async () => {
    const s = store()
    const l = await buildLayer(entries)
    const wrong = sha256Digest('nope')
    const err = await attempt(s, l.blob, { digest: wrong, diffId: l.diffId })
    expect(err.code).toBe('EDIGEST')
    expect(err.message).toContain(wrong)
  })

  test('diff id mismatch', async () => {
    const s = store()
    const l = await buildLayer(entries)
    const err = await attempt(s, l.blob, { digest: l.digest, diffId: sha256Digest('other') })
    expect(err.code).toBe('EDIGEST')
    expect(err.message).toContain(l.digest)
    expect(err.message).toContain(sha256Digest('other'))
  })

  test('more bytes than the descriptor size: stops early', async () => {
    const s = store()
    const l = await buildLayer(entries)
    const err = await attempt(s, l.blob, { digest: l.digest, size: 10, diffId: l.diffId })
    expect(err.code).toBe('ESIZE')
    expect(err.message).toContain(l.digest)
  })

  test('fewer bytes than the descriptor size', async () => {
    const s = store()
    const l = await buildLayer(entries)
    const err = await attempt(s, l.blob, { digest: l.digest, size: l.blob.length + 1, diffId: l.diffId })
    expect(err.code).toBe('ESIZE')
  })

  test('a truncated gzip stream', async () => {
    const s = store()
    const l = await buildLayer([{ path: 'f', type: 'file', content: randomBytes(50_000) }])
    const cut = l.blob.subarray(0, l.blob.length >> 1)
    const err = await attempt(s, cut, { digest: sha256Digest(cut), diffId: l.diffId })
    expect(err.code).toBe('EBADLAYER')
    expect(err.message).toContain(sha256Digest(cut))
  })

  test('a tar header with a bad checksum', async () => {
    const s = store()
    const l = await buildLayer(entries, false)
    const tar = Buffer.from(l.tar)
    tar[0] = 0x41 // change the name, not the checksum
    const err = await attempt(s, tar, { digest: sha256Digest(tar), diffId: sha256Digest(tar) })
    expect(err.code).toBe('EBADLAYER')
    expect(err.message).toMatch(/bad tar header checksum at byte 0/)
  })

  test('an error from the source stream', async () => {
    const s = store()
    const l = await buildLayer(entries)
    async function* failing(): AsyncGenerator<Buffer> {
      yield l.blob.subarray(0, 20)
      throw new Error('connection reset')
    }
    const err = await rejection(s.unpackLayer(Readable.from(failing()), { digest: l.digest, diffId: l.diffId, chainId: l.diffId }))
    expect(err.message).toMatch(/connection reset/)
    expect(tmpEntries(s)).toEqual([])
    expect(visibleStore(s)).toEqual([])
  })
})

describe('unpackLayer formats and bookkeeping', () => {
  test('gzip, zstd and plain tar give the same tree', async () => {
    const s = store()
    const entries = [
      { path: 'a/b', type: 'file' as const, content: randomBytes(200_000) },
      { path: 'c', type: 'symlink' as const, linkname: 'a/b' },
    ]
    const l = await buildLayer(entries, false)
    const zst = execFileSync('zstd', ['-q', '-c', '-3'], { input: l.tar })
    const variants = [l.tar, gzipSync(l.tar), zst]
    const trees = []
    for (const [i, blob] of variants.entries()) {
      const chainId = sha256Digest(`variant ${i}`) // three copies of one diff id
      const r = await s.unpackLayer(Readable.from([blob]), { digest: sha256Digest(blob), size: blob.length, diffId: l.diffId, chainId })
      expect(r.compression).toBe(['none', 'gzip', 'zstd'][i])
      // "a" is an implied parent: its mtime is the time of the unpack
      trees.push([...readTree(s.layerFsPath(chainId))].map(([k, v]) => [k, { ...v, ino: 0, mtime: v.type === 'dir' ? 0 : v.mtime }]))
    }
    expect(trees[1]).toEqual(trees[0])
    expect(trees[2]).toEqual(trees[0])
  })

  test('layer.json records sizes; progress reports the bytes read, up to the blob size', async () => {
    const s = store()
    const l = await buildLayer([{ path: 'x', type: 'file', content: randomBytes(100_000) }])
    const seen: number[] = []
    const chainId = chainIds([l.diffId])[0]!
    const r = await s.unpackLayer(chunked(l.blob, 8192), {
      digest: l.digest,
      size: l.blob.length,
      diffId: l.diffId,
      chainId,
      progress: (n) => seen.push(n),
    })
    expect(seen.length).toBeGreaterThan(5)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    expect(seen.at(-1)).toBe(l.blob.length)
    expect(r).toMatchObject({ chainId, diffId: l.diffId, digest: l.digest, compressedSize: l.blob.length, size: 100_000, entries: 1, skipped: false })
    expect(await s.getLayer(chainId)).toMatchObject({ size: 100_000 })
    expect(await s.hasLayer(chainId)).toBe(true)
  })

  test('a layer already present is skipped without reading the stream', async () => {
    const s = store()
    const l = await buildLayer([{ path: 'x', type: 'file' }])
    const chainId = chainIds([l.diffId])[0]!
    await s.unpackLayer(Readable.from([l.blob]), { digest: l.digest, diffId: l.diffId, chainId })
    const second = Readable.from([l.blob])
    const r = await s.unpackLayer(second, { digest: l.digest, diffId: l.diffId, chainId })
    expect(r.skipped).toBe(true)
    expect(second.destroyed).toBe(true)
  })

  test('two concurrent ingests of the same layer: one copy wins, the other is discarded', async () => {
    env = tempStore()
    const a = new ImageStore({ root: env.store.root })
    const b = new ImageStore({ root: env.store.root })
    const files = Array.from({ length: 50 }, (_, i) => ({ path: `d/f${i}`, type: 'file' as const, content: randomBytes(2000) }))
    const l = await buildLayer(files)
    const chainId = chainIds([l.diffId])[0]!
    const opts = { digest: l.digest, size: l.blob.length, diffId: l.diffId, chainId }
    const [ra, rb] = await Promise.all([a.unpackLayer(chunked(l.blob, 1024), opts), b.unpackLayer(chunked(l.blob, 1024), opts)])
    expect(ra.chainId).toBe(chainId)
    expect(rb.chainId).toBe(chainId)
    expect(readdirSync(a.layersDir)).toEqual([chainId.slice(7)])
    expect(readTree(a.layerFsPath(chainId)).size).toBe(51)
    expect(tmpEntries(a)).toEqual([])
  })
})

describe('kill -9 in the middle of an unpack', () => {
  const distStore = fileURLToPath(new URL('../dist/image/store.js', import.meta.url))

  test('leaves nothing visible, and the next run cleans up and succeeds', async () => {
    // the child runs the compiled library (test/helpers/global-setup.ts builds dist/)
    if (!existsSync(distStore)) throw new Error(`${distStore} is missing: run npx tsc -p tsconfig.json`)
    const s = store()
    const files = Array.from({ length: 400 }, (_, i) => ({ path: `d${i % 7}/f${i}`, type: 'file' as const, content: randomBytes(8192) }))
    const l = await buildLayer(files)
    const chainId = chainIds([l.diffId])[0]!
    const opts = { digest: l.digest, size: l.blob.length, diffId: l.diffId, chainId }
    const script = `
      import { ImageStore } from ${JSON.stringify(distStore)}
      const store = new ImageStore({ root: ${JSON.stringify(s.root)} })
      await store.unpackLayer(process.stdin, ${JSON.stringify(opts)})
      console.log('finished')`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    child.stdin.on('error', () => {}) // EPIPE once it is killed
    // half the blob: the child unpacks what it can and waits for the rest
    child.stdin.write(l.blob.subarray(0, l.blob.length >> 1))
    const started = Date.now()
    const unpacking = () =>
      tmpEntries(s).some((e) => e.startsWith('layer-') && existsSync(join(s.tmpDir, e, 'fs')) && readdirSync(join(s.tmpDir, e, 'fs')).length > 0)
    while (!unpacking()) {
      if (Date.now() - started > 20_000) throw new Error('the child never started unpacking')
      await new Promise((r) => setTimeout(r, 20))
    }
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(visibleStore(s)).toEqual([])
    expect(await s.hasLayer(chainId)).toBe(false)
    expect(tmpEntries(s).length).toBeGreaterThan(0)

    const again = new ImageStore({ root: s.root })
    const r = await again.unpackLayer(Readable.from([l.blob]), opts)
    expect(r.entries).toBe(400)
    expect(tmpEntries(again)).toEqual([])
    expect(visibleStore(again)).toEqual([`layers/${chainId.slice(7)}`])
  })

  test('tmp entries of live processes are kept, those of dead ones removed', async () => {
    const s = store()
    await s.init()
    const mine = `layer-${process.pid}.${readStart(process.pid)}-abc123`
    const dead = `layer-999999999.1-abc123`
    const reused = `layer-${process.pid}.1-abc123` // our pid, another start time
    const unknown = 'not-ours'
    for (const n of [mine, dead, reused, unknown]) mkdirSync(join(s.tmpDir, n))
    writeFileSync(join(s.tmpDir, dead, 'file'), 'x')
    await new ImageStore({ root: s.root }).init()
    expect(tmpEntries(s)).toEqual([mine])
  })
})

function readStart(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1') as string
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!
}

describe('refs, resolve, list, remove, prune', () => {
  const base = [[{ path: 'bin/sh', type: 'file' as const, content: 'sh' }]]

  test('setRef refuses an incomplete image', async () => {
    const s = store()
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, config: { mediaType: 'x', digest: sha256Digest('no'), size: 2 }, layers: [] }),
    )
    await s.putBlob(manifest, sha256Digest(manifest))
    const err = await rejection(s.setRef('localhost/x', sha256Digest(manifest)))
    expect(err.code).toBe('EINCOMPLETE')
    expect(err.message).toContain(sha256Digest('no'))
    expect(readdirSync(s.refsDir)).toEqual([])
  })

  test('resolve: config, lower dirs bottom first, normalized name', async () => {
    const s = store()
    const img = await addImage(s, [...base, [{ path: 'etc/top', type: 'file' }]], { config: { Env: ['A=1'], User: 'app' } })
    await s.setRef('localhost/test/img', img.manifestDigest)
    const r = await s.resolve('localhost/test/img:latest')
    expect(r.name).toBe('localhost/test/img:latest')
    expect(r.manifestDigest).toBe(img.manifestDigest)
    expect(r.configDigest).toBe(img.configDigest)
    expect(r.config.config).toEqual({ Env: ['A=1'], User: 'app' })
    expect(r.chainIds).toEqual(img.chainIds)
    expect(r.layerDirs).toEqual(img.chainIds.map((c) => join(s.layersDir, c.slice(7), 'fs')))
    expect(existsSync(join(r.layerDirs[1]!, 'etc/top'))).toBe(true)
  })

  test('resolve by image id, id prefix, and repo@digest', async () => {
    const s = store()
    const img = await addImage(s, base)
    await s.setRef('alpine', img.manifestDigest)
    expect((await s.resolve(img.configDigest)).name).toBe('docker.io/library/alpine:latest')
    expect((await s.resolve(img.configDigest.slice(7, 19))).name).toBe('docker.io/library/alpine:latest')
    expect((await s.resolve(`sha256:${img.configDigest.slice(7, 15)}`)).configDigest).toBe(img.configDigest)
    expect((await s.resolve(`docker.io/library/alpine@${img.manifestDigest}`)).manifestDigest).toBe(img.manifestDigest)
  })

  test('an absent image is ENOIMAGE naming the reference', async () => {
    const s = store()
    for (const ref of ['nothing:here', 'abcdef123456', `x@sha256:${'1'.repeat(64)}`]) {
      const err = await rejection(s.resolve(ref))
      expect(err.code).toBe('ENOIMAGE')
      expect(err.message).toContain(ref)
    }
    expect((await rejection(s.resolve('Bad:Ref'))).code).toBe('EBADREF')
  })

  test('an ambiguous id prefix is an error', async () => {
    const s = store()
    const byFirst = new Map<string, number>()
    let collision: string | undefined
    // 17 images: two ids must share their first hex digit
    for (let i = 0; i < 17 && !collision; i++) {
      const img = await addImage(s, base, { author: `a${i}` })
      await s.setRef(`localhost/img${i}`, img.manifestDigest)
      const c = img.configDigest[7]!
      byFirst.set(c, (byFirst.get(c) ?? 0) + 1)
      if (byFirst.get(c) === 2) collision = c
    }
    const err = await rejection(s.resolve(collision!))
    expect(err.code).toBe('EAMBIGUOUS')
  })

  test('list: names, tags, ids, sizes', async () => {
    const s = store()
    const a = await addImage(s, [[{ path: 'f', type: 'file', content: '12345' }]], { created: '2024-01-02T03:04:05Z' })
    await s.setRef('alpine:3', a.manifestDigest)
    await s.setRef('localhost:5000/x/y:v1', a.manifestDigest)
    await s.setRef(a.configDigest, a.manifestDigest)
    const list = await s.list()
    expect(list.map((i) => [i.name, i.familiarRepository, i.tag, i.size, i.created, i.configDigest])).toEqual([
      ['docker.io/library/alpine:3', 'alpine', '3', 5, '2024-01-02T03:04:05Z', a.configDigest],
      ['localhost:5000/x/y:v1', 'localhost:5000/x/y', 'v1', 5, '2024-01-02T03:04:05Z', a.configDigest],
      [a.configDigest, undefined, undefined, 5, '2024-01-02T03:04:05Z', a.configDigest],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))))
  })

  test('remove by name keeps what another image uses; by id removes every name', async () => {
    const s = store()
    const shared = [{ path: 'shared', type: 'file' as const, content: 'base' }]
    const one = await addImage(s, [shared, [{ path: 'one', type: 'file' }]])
    const two = await addImage(s, [shared, [{ path: 'two', type: 'file' }]])
    await s.setRef('localhost/one', one.manifestDigest)
    await s.setRef('localhost/one:alias', one.manifestDigest)
    await s.setRef('localhost/two', two.manifestDigest)

    const r1 = await removeImage(s, 'localhost/one:alias')
    expect(r1).toEqual({ untagged: ['localhost/one:alias'], deleted: [] })

    const r2 = await removeImage(s, one.configDigest.slice(7, 19))
    expect(r2.untagged).toEqual(['localhost/one:latest'])
    expect(r2.deleted.sort()).toEqual([one.manifestDigest, one.configDigest, one.chainIds[1]!].sort())
    expect(await s.hasLayer(one.chainIds[0]!)).toBe(true) // two's base
    expect((await s.resolve('localhost/two')).layerDirs.every((d) => existsSync(d))).toBe(true)
    expect((await rejection(removeImage(s, 'localhost/one'))).code).toBe('ENOIMAGE')
  })

  test("rmi of a repository's last tag takes its digest names too, as moby's ImageDelete; with another tag of it they stay", async () => {
    const s = store()
    const img = await addImage(s, [[{ path: 'f', type: 'file', content: 'x' }]])
    const pinned = `localhost/app@${img.manifestDigest}`
    await s.setRef('localhost/app:1', img.manifestDigest)
    await s.setRef('localhost/app:2', img.manifestDigest)
    await s.setRef(pinned, img.manifestDigest)
    await s.setRef('localhost/other:1', img.manifestDigest)
    // another tag of the repository stays: the digest name stays with it
    expect(await removeImage(s, 'localhost/app:1')).toEqual({ untagged: ['localhost/app:1'], deleted: [] })
    // the repository's last tag: its digest name goes too, the other repository's name keeps the image
    expect(await removeImage(s, 'localhost/app:2')).toEqual({ untagged: ['localhost/app:2', pinned], deleted: [] })
    expect((await s.list()).map((i) => i.name)).toEqual(['localhost/other:1'])
  })

  test('remove of an image containers use is refused; forced, it untags and keeps the layers', async () => {
    const s = store()
    const img = await addImage(s, base)
    await s.setRef('localhost/x', img.manifestDigest)
    const stopped = [{ id: 'c'.repeat(64), imageId: img.configDigest, running: false }]
    const refused = await rejection(removeImage(s, 'localhost/x', { inUse: new Set(img.chainIds), users: stopped }))
    expect(refused.code).toBe('ECONFLICT')
    expect(await s.getRef('localhost/x')).toBe(img.manifestDigest)
    // another name of it may go: the image keeps one
    await s.setRef('localhost/y', img.manifestDigest)
    expect((await removeImage(s, 'localhost/y', { inUse: new Set(img.chainIds), users: stopped })).untagged).toEqual(['localhost/y:latest'])
    const r = await removeImage(s, 'localhost/x', { inUse: async () => new Set(img.chainIds), users: async () => stopped, force: true })
    expect(r.untagged).toEqual(['localhost/x:latest'])
    // a stopped container's image goes (Docker's soft conflict), its layers stay
    expect(r.deleted).toContain(img.configDigest)
    expect(r.deleted).not.toContain(img.chainIds[0])
    expect(await s.hasLayer(img.chainIds[0]!)).toBe(true)
  })

  test('a running container\'s image: forced by name it stays untagged; by id it is refused even forced', async () => {
    const s = store()
    const img = await addImage(s, base)
    await s.setRef('localhost/x', img.manifestDigest)
    const running = [{ id: 'r'.repeat(64), imageId: img.configDigest, running: true }]
    const byId = await rejection(removeImage(s, img.configDigest.slice(7, 19), { users: running, force: true }))
    expect(byId.message).toBe(`conflict: unable to delete ${img.configDigest.slice(7, 19)} (cannot be forced) - image is being used by running container rrrrrrrrrrrr`)
    const r = await removeImage(s, 'localhost/x', { inUse: new Set(img.chainIds), users: running, force: true })
    expect(r).toEqual({ untagged: ['localhost/x:latest'], deleted: [] })
    expect((await s.findRefs(img.configDigest)).map((ref) => ref.name)).toEqual([img.configDigest])
    expect((await s.resolve(img.configDigest)).configDigest).toBe(img.configDigest)
  })

  test('prune removes unreferenced layers and blobs and untagged images, not what is in use', async () => {
    const s = store()
    const kept = await addImage(s, base)
    await s.setRef('localhost/kept', kept.manifestDigest)
    const orphan = await addImage(s, [[{ path: 'orphan', type: 'file', content: 'o' }]])
    const untagged = await addImage(s, [[{ path: 'untagged', type: 'file', content: 'u' }]])
    await s.setRef(untagged.configDigest, untagged.manifestDigest)
    const busy = await addImage(s, [[{ path: 'busy', type: 'file', content: 'b' }]])

    const r = await pruneStore(s, { inUse: new Set(busy.chainIds) })
    expect(r.untagged).toEqual([untagged.configDigest])
    expect(r.deletedLayers.sort()).toEqual([...orphan.chainIds, ...untagged.chainIds].sort())
    expect(r.deletedBlobs.sort()).toEqual(
      [orphan.manifestDigest, orphan.configDigest, untagged.manifestDigest, untagged.configDigest, busy.manifestDigest, busy.configDigest].sort(),
    )
    expect(r.reclaimedBytes).toBeGreaterThan(0)
    expect(await s.hasLayer(busy.chainIds[0]!)).toBe(true)
    expect((await s.resolve('localhost/kept')).configDigest).toBe(kept.configDigest)
    expect(tmpEntries(s)).toEqual([])
  })

  test('rootless removal works on read-only directories', async () => {
    env = tempStore({ rootless: true })
    const s = env.store
    const img = await addImage(s, [[{ path: 'ro', type: 'dir', mode: 0o555 }, { path: 'ro/f', type: 'file', mode: 0o444 }]])
    await s.setRef('localhost/ro', img.manifestDigest)
    const r = await removeImage(s, 'localhost/ro')
    expect(r.deleted).toContain(img.chainIds[0])
    expect(readdirSync(s.layersDir)).toEqual([])
  })
})
