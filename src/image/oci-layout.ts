/**
 * Writes OCI image layouts (image-spec image-layout.md): oci-layout,
 * index.json and blobs/sha256/. Used by the fixtures and by tests that
 * build special images at test time (a char device, a symlinked /proc, an
 * odd entrypoint), which `mini-run load` then imports like any layout.
 *
 * Layers are described either as a directory to archive or as a list of
 * entries, including what only a layer can say: whiteouts, opaque
 * directories, device nodes, binary xattrs, and (for security tests) paths
 * written verbatim, "../" included.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, readFile, readdir, readlink, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { MiniRunError } from '../errors.js'
import { openWriteStream } from '../open-write-stream.js'
import { sha256Digest } from './digest.js'
import { MediaType, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from './oci.js'
import { hostPlatform } from './platform.js'
import { parseReference } from './reference.js'
import { END_OF_ARCHIVE, encodeHeader, padding, type TarWriteEntry } from './tar-writer.js'
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './overlay-marks.js'

export type LayerEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'whiteout' | 'opaque'

export interface LayerEntry {
  /**
   * Path in the layer, written verbatim ("etc/passwd"; a leading "/" or
   * "../" is kept, for hostile layers). For 'whiteout', the path to hide;
   * for 'opaque', the directory to make opaque.
   */
  path: string
  type: LayerEntryType
  /** Permission bits incl. setuid/setgid/sticky; default 0644 files, 0755 dirs, 0777 symlinks, 0666 devices. */
  mode?: number
  uid?: number
  gid?: number
  /** Seconds since the epoch; default 0. */
  mtime?: number
  content?: string | Buffer
  /** Symlink target, or the path of a hardlink's target in this layer. */
  linkname?: string
  major?: number
  minor?: number
  xattrs?: Record<string, string | Buffer>
}

/** A layer: a directory to archive, or explicit entries in order. */
export type LayerSpec = { dir: string } | { entries: LayerEntry[] } | LayerEntry[]

export interface OciLayoutOptions {
  /** Full reference, e.g. "localhost/test/img:latest" (stored as io.containerd.image.name). */
  name?: string
  /** Tag for org.opencontainers.image.ref.name; default: the name's tag, else "latest". */
  tag?: string
  config?: Partial<ImageConfig>
  layers: LayerSpec[]
  /** Default gzip. */
  compression?: 'gzip' | 'none'
}

export interface OciLayoutResult {
  manifestDigest: string
  configDigest: string
  diffIds: string[]
  layers: Descriptor[]
}

const DEFAULT_MODES: Record<LayerEntryType, number> = {
  file: 0o644,
  dir: 0o755,
  symlink: 0o777,
  hardlink: 0o644,
  char: 0o666,
  block: 0o666,
  fifo: 0o644,
  whiteout: 0o644,
  opaque: 0o644,
}

interface EntryWithData {
  header: TarWriteEntry
  content?: Buffer
  /** File to stream the content from (directory layers). */
  source?: string
}

function parentAndName(path: string): [string, string] {
  const trimmed = path.replace(/\/+$/, '')
  const i = trimmed.lastIndexOf('/')
  return i === -1 ? ['', trimmed] : [trimmed.slice(0, i + 1), trimmed.slice(i + 1)]
}

function fromSpec(e: LayerEntry): EntryWithData {
  const base = { mode: e.mode ?? DEFAULT_MODES[e.type], uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: e.mtime ?? 0 }
  const xattrs = e.xattrs
    ? new Map(Object.entries(e.xattrs).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]))
    : undefined
  const withXattrs = xattrs ? { xattrs } : {}
  switch (e.type) {
    case 'whiteout': {
      const [dir, name] = parentAndName(e.path)
      return { header: { ...base, path: `${dir}${WHITEOUT_PREFIX}${name}`, type: 'file', size: 0 }, content: Buffer.alloc(0) }
    }
    case 'opaque': {
      const dir = e.path.replace(/\/+$/, '')
      return { header: { ...base, path: `${dir === '' || dir === '.' ? '' : dir + '/'}${OPAQUE_MARKER}`, type: 'file', size: 0 }, content: Buffer.alloc(0) }
    }
    case 'file': {
      const content = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0))
      return { header: { ...base, ...withXattrs, path: e.path, type: 'file', size: content.length }, content }
    }
    case 'dir':
      return { header: { ...base, ...withXattrs, path: e.path.endsWith('/') ? e.path : `${e.path}/`, type: 'dir' } }
    case 'symlink':
    case 'hardlink':
      if (e.linkname === undefined) throw new MiniRunError(`layer entry ${e.path}: a ${e.type} needs a linkname`)
      return { header: { ...base, ...withXattrs, path: e.path, type: e.type, linkpath: e.linkname } }
    case 'char':
    case 'block':
    case 'fifo':
      return {
        header: { ...base, ...withXattrs, path: e.path, type: e.type, devmajor: e.major ?? 0, devminor: e.minor ?? 0 },
      }
  }
}

/** Entries for a directory tree: sorted, hardlinks found by inode, devices kept. xattrs are not read. */
async function* walkDir(root: string): AsyncGenerator<EntryWithData> {
  const inodes = new Map<string, string>()
  async function* walk(rel: string): AsyncGenerator<EntryWithData> {
    const path = rel === '' ? root : join(root, rel)
    const st = await lstat(path)
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) }
    if (st.isDirectory()) {
      if (rel !== '') yield { header: { ...base, path: `${rel}/`, type: 'dir' } }
      for (const name of (await readdir(path)).sort()) yield* walk(rel === '' ? name : `${rel}/${name}`)
      return
    }
    if (st.nlink > 1 && !st.isSymbolicLink()) {
      const key = `${st.dev}:${st.ino}`
      const first = inodes.get(key)
      if (first !== undefined) {
        yield { header: { ...base, path: rel, type: 'hardlink', linkpath: first } }
        return
      }
      inodes.set(key, rel)
    }
    if (st.isFile()) yield { header: { ...base, path: rel, type: 'file', size: st.size }, source: path }
    else if (st.isSymbolicLink()) yield { header: { ...base, path: rel, type: 'symlink', linkpath: await readlink(path) } }
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = st.rdev
      const devmajor = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff)
      const devminor = (rdev & 0xff) | ((rdev >> 12) & ~0xff)
      yield { header: { ...base, path: rel, type: st.isCharacterDevice() ? 'char' : 'block', devmajor, devminor } }
    } else if (st.isFIFO()) yield { header: { ...base, path: rel, type: 'fifo' } }
    // sockets cannot be archived
  }
  yield* walk('')
}

async function* tarBytes(entries: AsyncIterable<EntryWithData> | Iterable<EntryWithData>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    yield encodeHeader(e.header)
    const size = e.header.type === 'file' ? (e.header.size ?? 0) : 0
    if (e.content) yield e.content
    else if (e.source) {
      let n = 0
      for await (const chunk of createReadStream(e.source) as AsyncIterable<Buffer>) {
        n += chunk.length
        if (n > size) break
        yield chunk
      }
      if (n !== size) throw new MiniRunError(`${e.source} changed size while being archived`)
    }
    if (size > 0) yield padding(size)
  }
  yield END_OF_ARCHIVE
}

function layerEntries(spec: LayerSpec): AsyncIterable<EntryWithData> | Iterable<EntryWithData> {
  if (Array.isArray(spec)) return spec.map(fromSpec)
  if ('dir' in spec) return walkDir(spec.dir)
  return spec.entries.map(fromSpec)
}

/** The uncompressed tar of a layer, in memory (tests build small hostile layers with it). */
export async function layerTar(spec: LayerSpec): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of tarBytes(layerEntries(spec))) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Write one layer blob; returns its descriptor and diff id. */
async function writeLayer(blobsDir: string, spec: LayerSpec, compression: 'gzip' | 'none'): Promise<{ descriptor: Descriptor; diffId: string }> {
  const tmp = join(blobsDir, `.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`)
  const diffHash = createHash('sha256')
  const blobHash = createHash('sha256')
  let size = 0
  const hashing = async function* (src: AsyncIterable<Buffer>, hash: ReturnType<typeof createHash>, count: boolean) {
    for await (const chunk of src) {
      hash.update(chunk)
      if (count) size += chunk.length
      yield chunk
    }
  }
  try {
    const raw = Readable.from(hashing(tarBytes(layerEntries(spec)), diffHash, compression === 'none'))
    if (compression === 'gzip') {
      await pipeline(raw, createGzip(), (src: AsyncIterable<Buffer>) => hashing(src, blobHash, true), await openWriteStream(tmp))
    } else {
      await pipeline(raw, await openWriteStream(tmp))
    }
    const diffId = 'sha256:' + diffHash.digest('hex')
    const digest = compression === 'gzip' ? 'sha256:' + blobHash.digest('hex') : diffId
    await rename(tmp, join(blobsDir, digest.slice(7)))
    return {
      descriptor: { mediaType: compression === 'gzip' ? MediaType.OCI_LAYER_GZIP : MediaType.OCI_LAYER, digest, size },
      diffId,
    }
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

async function writeJsonBlob(blobsDir: string, value: unknown): Promise<{ digest: string; size: number }> {
  const data = Buffer.from(JSON.stringify(value))
  const digest = sha256Digest(data)
  await writeFile(join(blobsDir, digest.slice(7)), data)
  return { digest, size: data.length }
}

const REF_NAME = 'org.opencontainers.image.ref.name'
const CONTAINERD_NAME = 'io.containerd.image.name'

/**
 * Write an image into the OCI layout at dir (created if needed). An
 * existing index.json keeps its other images; one with the same name and
 * tag is replaced.
 */
export async function writeOciLayout(dir: string, opts: OciLayoutOptions): Promise<OciLayoutResult> {
  const blobsDir = join(dir, 'blobs', 'sha256')
  await mkdir(blobsDir, { recursive: true })
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }) + '\n')
  const compression = opts.compression ?? 'gzip'
  const layers: Descriptor[] = []
  const diffIds: string[] = []
  for (const spec of opts.layers) {
    const { descriptor, diffId } = await writeLayer(blobsDir, spec, compression)
    layers.push(descriptor)
    diffIds.push(diffId)
  }
  const platform = hostPlatform()
  const config: ImageConfig = {
    created: '1970-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    ...opts.config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: opts.config?.history ?? diffIds.map(() => ({ created_by: 'mini-run writeOciLayout' })),
  }
  const configBlob = await writeJsonBlob(blobsDir, config)
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: configBlob.digest, size: configBlob.size },
    layers,
  }
  const manifestBlob = await writeJsonBlob(blobsDir, manifest)

  const name = opts.name !== undefined ? parseReference(opts.name) : undefined
  const tag = opts.tag ?? name?.tag ?? 'latest'
  const annotations: Record<string, string> = { [REF_NAME]: tag }
  if (name) annotations[CONTAINERD_NAME] = name.name
  let index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [] }
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex
  } catch {
    // a new layout
  }
  index.manifests = index.manifests.filter(
    (d) => !(d.annotations?.[REF_NAME] === tag && d.annotations?.[CONTAINERD_NAME] === annotations[CONTAINERD_NAME]),
  )
  index.manifests.push({
    mediaType: MediaType.OCI_MANIFEST,
    digest: manifestBlob.digest,
    size: manifestBlob.size,
    annotations,
    platform: { architecture: config.architecture, os: config.os, ...(config.variant && { variant: config.variant }) },
  })
  await writeFile(join(dir, 'index.json.tmp'), JSON.stringify(index, null, 2) + '\n')
  await rename(join(dir, 'index.json.tmp'), join(dir, 'index.json'))
  return { manifestDigest: manifestBlob.digest, configDigest: configBlob.digest, diffIds, layers }
}
