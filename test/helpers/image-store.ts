/**
 * Helpers for the image store tests: a temp store that is always removed,
 * layers built from entry lists, and a readable snapshot of a tree.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { chainIds } from '../../src/image/digest.js'
import { sha256Digest } from '../../src/image/digest.js'
import { layerTar, type LayerEntry } from '../../src/image/oci-layout.js'
import { ImageStore } from '../../src/image/store.js'
import type { ImageStoreOptions, UnpackLayerResult } from '../../src/image/store-types.js'

export const isRoot = process.getuid?.() === 0
export const ROOT_SKIP_REASON = 'needs root (owners, device nodes, trusted.* xattrs); CI runs as root'

export interface TempStore {
  store: ImageStore
  dir: string
  cleanup(): void
}

/** A store in a fresh temp dir. Call cleanup() in afterEach. */
export function tempStore(opts: Omit<ImageStoreOptions, 'root'> = {}): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-store-test-'))
  const store = new ImageStore({ ...opts, root: join(dir, 'store') })
  return { store, dir, cleanup: () => removeTreeSync(dir) }
}

/** rm -rf, also of trees holding 0555 directories when not root. */
export function removeTreeSync(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err
    const writable = (d: string): void => {
      chmodSync(d, 0o700)
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) writable(join(d, e.name))
    }
    writable(dir)
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface BuiltLayer {
  tar: Buffer
  blob: Buffer
  digest: string
  diffId: string
}

export async function buildLayer(entries: LayerEntry[], compress = true): Promise<BuiltLayer> {
  const tar = await layerTar(entries)
  const blob = compress ? gzipSync(tar) : tar
  return { tar, blob, digest: sha256Digest(blob), diffId: sha256Digest(tar) }
}

/** A stream yielding data in small chunks, each on its own turn of the event loop. */
export function chunked(data: Buffer, size = 4096): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (let i = 0; i < data.length; i += size) {
      await new Promise((r) => setImmediate(r))
      yield data.subarray(i, i + size)
    }
  }
  return Readable.from(gen(), { objectMode: false })
}

/** Unpack a layer given as entries as a single bottom layer. */
export async function unpackEntries(
  store: ImageStore,
  entries: LayerEntry[],
  opts: { compress?: boolean } = {},
): Promise<UnpackLayerResult & { fs: string }> {
  const layer = await buildLayer(entries, opts.compress ?? true)
  const result = await store.unpackLayer(Readable.from([layer.blob]), {
    digest: layer.digest,
    size: layer.blob.length,
    diffId: layer.diffId,
    chainId: chainIds([layer.diffId])[0]!,
  })
  return { ...result, fs: store.layerFsPath(result.chainId) }
}

export interface NodeInfo {
  type: 'dir' | 'file' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket'
  mode: number
  uid: number
  gid: number
  mtime: number
  ino: number
  nlink: number
  size: number
  /** Regular files we may read. */
  content?: string
  linkname?: string
  rdev?: [number, number]
}

function major(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff)
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & ~0xff)
}

function readable(path: string): { content?: string } {
  try {
    return { content: readFileSync(path, 'utf8') }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return {} // a 0000 file, when not root
    throw err
  }
}

/** Every path under dir (relative), with what lstat says. */
export function readTree(dir: string): Map<string, NodeInfo> {
  const out = new Map<string, NodeInfo>()
  const walk = (rel: string): void => {
    for (const name of readdirSync(rel ? join(dir, rel) : dir).sort()) {
      const r = rel ? `${rel}/${name}` : name
      const p = join(dir, r)
      const st = lstatSync(p)
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), ino: st.ino, nlink: st.nlink, size: st.isDirectory() ? 0 : st.size }
      if (st.isDirectory()) {
        out.set(r, { ...base, type: 'dir' })
        walk(r)
      } else if (st.isSymbolicLink()) out.set(r, { ...base, type: 'symlink', linkname: readlinkSync(p) })
      else if (st.isFile()) out.set(r, { ...base, type: 'file', ...readable(p) })
      else if (st.isCharacterDevice()) out.set(r, { ...base, type: 'char', rdev: [major(st.rdev), minor(st.rdev)] })
      else if (st.isBlockDevice()) out.set(r, { ...base, type: 'block', rdev: [major(st.rdev), minor(st.rdev)] })
      else if (st.isFIFO()) out.set(r, { ...base, type: 'fifo' })
      else out.set(r, { ...base, type: 'socket' })
    }
  }
  walk('')
  return out
}

/** Every entry of the store's dirs except tmp/: what a reader can see. */
export function visibleStore(store: ImageStore): string[] {
  const list = (d: string): string[] => {
    try {
      return readdirSync(d)
    } catch {
      return []
    }
  }
  return [
    ...list(store.blobsDir).map((f) => `blobs/${f}`),
    ...list(store.layersDir).map((f) => `layers/${f}`),
    ...list(store.refsDir).map((f) => `refs/${f}`),
  ]
}

export function tmpEntries(store: ImageStore): string[] {
  try {
    return readdirSync(store.tmpDir)
  } catch {
    return []
  }
}

export { chainIds }

export interface HostileEnv {
  env: TempStore
  /** A host directory the layers aim at, holding target.txt. */
  outside: string
  /** Everything under the test's temp dir except the store's own dirs. */
  snapshot(): string
}

/** A temp store plus a host directory that hostile layers target. */
export function hostileEnv(opts: Omit<ImageStoreOptions, 'root'> = {}): HostileEnv {
  const env = tempStore(opts)
  const outside = join(env.dir, 'outside')
  mkdirSync(outside)
  writeFileSync(join(outside, 'target.txt'), 'original')
  const snapshot = (): string =>
    JSON.stringify(
      [...readTree(env.dir)].filter(([k]) => k !== 'store' && !k.startsWith('store/')).map(([k, v]) => [k, { ...v, mtime: 0 }]),
    )
  return { env, outside, snapshot }
}

/** Unpack a hostile layer; resolves to the error (or undefined if it unpacked). */
export async function tryUnpack(store: ImageStore, entries: LayerEntry[]): Promise<{ error?: Error & { code?: string }; digest: string; fs?: string }> {
  const layer = await buildLayer(entries)
  try {
    const r = await store.unpackLayer(Readable.from([layer.blob]), {
      digest: layer.digest,
      size: layer.blob.length,
      diffId: layer.diffId,
      chainId: chainIds([layer.diffId])[0]!,
    })
    return { digest: layer.digest, fs: store.layerFsPath(r.chainId) }
  } catch (error) {
    return { error: error as Error, digest: layer.digest }
  }
}

/**
 * Unpack entries that must be refused: the error is EBADLAYER naming the
 * layer, and nothing changed outside the store, nor inside it.
 */
export async function expectRejected(h: HostileEnv, entries: LayerEntry[]): Promise<Error & { code?: string }> {
  const before = h.snapshot()
  const { error, digest } = await tryUnpack(h.env.store, entries)
  if (!error) throw new Error('the hostile layer unpacked')
  if (error.code !== 'EBADLAYER') throw error
  if (!error.message.includes(digest)) throw new Error(`error does not name the layer ${digest}: ${error.message}`)
  const after = h.snapshot()
  if (after !== before) throw new Error(`the layer changed files outside the store:\n${before}\n${after}`)
  const left = [...tmpEntries(h.env.store), ...visibleStore(h.env.store).filter((p) => p.startsWith('layers/'))]
  if (left.length > 0) throw new Error(`left behind in the store: ${left.join(', ')}`)
  return error
}

/** Put a complete image in the store by hand (layers, config, manifest); no ref. */
export async function addImage(
  store: ImageStore,
  layers: LayerEntry[][],
  config: Record<string, unknown> = {},
): Promise<{ manifestDigest: string; configDigest: string; chainIds: string[] }> {
  const built = await Promise.all(layers.map((l) => buildLayer(l)))
  const ids = chainIds(built.map((b) => b.diffId))
  for (const [i, b] of built.entries()) {
    await store.unpackLayer(Readable.from([b.blob]), { digest: b.digest, size: b.blob.length, diffId: b.diffId, chainId: ids[i]! })
  }
  const configData = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', ...config, rootfs: { type: 'layers', diff_ids: built.map((b) => b.diffId) } }),
  )
  const configDigest = sha256Digest(configData)
  await store.putBlob(configData, configDigest)
  const manifestData = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: configData.length },
      layers: built.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: b.digest, size: b.blob.length })),
    }),
  )
  const manifestDigest = sha256Digest(manifestData)
  await store.putBlob(manifestData, manifestDigest)
  return { manifestDigest, configDigest, chainIds: ids }
}
