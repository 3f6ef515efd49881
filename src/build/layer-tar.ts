/**
 * A build step's changes as a layer blob: a deterministic tar, gzipped.
 *
 * Deterministic means the same files give the same bytes, so the same
 * build gives the same diff ids and digests (reproducible builds,
 * reproducible-builds.org/docs/source-date-epoch): entries come in a sorted
 * walk order, owners are numbers only (no user or group names, which would
 * depend on the host's /etc/passwd), no atime or ctime is written, and
 * when SOURCE_DATE_EPOCH is set no mtime is later than it.
 *
 * The headers are encoded by src/image/tar-writer.ts, the same writer the
 * fixtures and tests use; the blob is then unpacked into the store by the
 * store's own hardened path (store.unpackLayer), like any pulled layer.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { MiniRunError } from '../errors.js'
import { openWriteStream } from '../open-write-stream.js'
import { chainIds } from '../image/digest.js'
import { MediaType, type Descriptor } from '../image/oci.js'
import type { ImageStore } from '../image/store.js'
import type { StoreLease } from '../image/store-lease.js'
import { tmpPath } from '../image/store-tmp.js'
import { END_OF_ARCHIVE, encodeHeader, padding, type TarWriteEntry } from '../image/tar-writer.js'
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../image/overlay-marks.js'

export type LayerFileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'whiteout' | 'opaque'

/** One entry of a layer, as a build step describes it. */
export interface LayerFile {
  /** Relative to the image root, no leading or trailing "/". For 'whiteout' the hidden path, for 'opaque' the directory. */
  path: string
  type: LayerFileType
  mode: number
  uid: number
  gid: number
  /** Seconds since the epoch. */
  mtime: number
  /** Regular files: the size, and where the bytes are (a host file or a buffer). */
  size?: number
  source?: string
  content?: Buffer
  /** Symlink target; for a hardlink, the path of the earlier entry. */
  linkname?: string
  devmajor?: number
  devminor?: number
  xattrs?: ReadonlyMap<string, Buffer>
}

export interface LayerTarOptions {
  /** SOURCE_DATE_EPOCH: mtimes later than this are clamped to it. */
  sourceDateEpoch?: number
}

function tarEntry(f: LayerFile, o: LayerTarOptions): TarWriteEntry {
  const mtime = o.sourceDateEpoch !== undefined ? Math.min(f.mtime, o.sourceDateEpoch) : f.mtime
  const base = { mode: f.mode & 0o7777, uid: f.uid, gid: f.gid, mtime, ...(f.xattrs?.size ? { xattrs: f.xattrs } : {}) }
  const slash = f.path.lastIndexOf('/')
  const [dir, name] = slash < 0 ? ['', f.path] : [f.path.slice(0, slash + 1), f.path.slice(slash + 1)]
  switch (f.type) {
    case 'whiteout':
      return { ...base, xattrs: new Map(), path: `${dir}${WHITEOUT_PREFIX}${name}`, type: 'file', size: 0 }
    case 'opaque':
      return { ...base, xattrs: new Map(), path: f.path === '' ? OPAQUE_MARKER : `${f.path}/${OPAQUE_MARKER}`, type: 'file', size: 0 }
    case 'dir':
      return { ...base, path: `${f.path}/`, type: 'dir' }
    case 'file':
      return { ...base, path: f.path, type: 'file', size: f.size ?? f.content?.length ?? 0 }
    case 'symlink':
    case 'hardlink':
      return { ...base, path: f.path, type: f.type, linkpath: f.linkname ?? '' }
    default:
      return { ...base, path: f.path, type: f.type, devmajor: f.devmajor ?? 0, devminor: f.devminor ?? 0 }
  }
}

/** The tar stream of these entries, in the order given. */
export async function* tarStream(files: Iterable<LayerFile> | AsyncIterable<LayerFile>, o: LayerTarOptions = {}): AsyncGenerator<Buffer> {
  for await (const f of files) {
    const header = tarEntry(f, o)
    yield encodeHeader(header)
    if (header.type !== 'file' || !header.size) continue
    const size = header.size
    if (f.content) yield f.content
    else if (f.source !== undefined) {
      let n = 0
      for await (const chunk of createReadStream(f.source) as AsyncIterable<Buffer>) {
        if (n + chunk.length > size) throw new MiniRunError(`${f.source} grew while being archived`)
        n += chunk.length
        yield chunk
      }
      if (n !== size) throw new MiniRunError(`${f.source} shrank while being archived`)
    }
    yield padding(size)
  }
  yield END_OF_ARCHIVE
}

export interface LayerBlob {
  /** The gzipped blob, in the store's tmp/ (the caller removes it). */
  path: string
  digest: string
  size: number
  diffId: string
  entries: number
}

/** Write the entries as a gzipped tar into the store's tmp/, hashing both. */
export async function writeLayerBlob(store: ImageStore, files: Iterable<LayerFile> | AsyncIterable<LayerFile>, o: LayerTarOptions = {}): Promise<LayerBlob> {
  await store.init()
  return writeLayerBlobAt(files, tmpPath(store.tmpDir, 'blob'), o)
}

/** The same at a path the caller chose (a build's RUN, whose blob the user's namespace may write: upper-blob.ts). */
export async function writeLayerBlobAt(files: Iterable<LayerFile> | AsyncIterable<LayerFile>, path: string, o: LayerTarOptions = {}): Promise<LayerBlob> {
  let entries = 0
  async function* counted(): AsyncGenerator<LayerFile> {
    for await (const f of files) {
      entries++
      yield f
    }
  }
  const blob = await writeTarBlobAt(tarStream(counted(), o), path)
  return { ...blob, entries }
}

/**
 * Gzip a tar's bytes into the store's tmp/ (a file named after `kind`),
 * hashing the tar (the diff id) and the blob; a failure leaves no file. The
 * gzip header carries no name and mtime 0: the same tar, the same blob.
 */
export async function writeTarBlob(store: ImageStore, tar: AsyncIterable<Buffer>, kind: string): Promise<LayerBlob & { tarSize: number }> {
  await store.init()
  return writeTarBlobAt(tar, tmpPath(store.tmpDir, kind))
}

async function writeTarBlobAt(tar: AsyncIterable<Buffer>, path: string): Promise<LayerBlob & { tarSize: number }> {
  const diffHash = createHash('sha256')
  const blobHash = createHash('sha256')
  let size = 0
  let tarSize = 0
  async function* hashRaw(): AsyncGenerator<Buffer> {
    for await (const chunk of tar) {
      diffHash.update(chunk)
      tarSize += chunk.length
      yield chunk
    }
  }
  async function* hashBlob(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      blobHash.update(chunk)
      size += chunk.length
      yield chunk
    }
  }
  try {
    await pipeline(Readable.from(hashRaw()), createGzip(), hashBlob, await openWriteStream(path, 'w', 0o600))
  } catch (err) {
    await rm(path, { force: true })
    throw err
  }
  return { path, digest: `sha256:${blobHash.digest('hex')}`, size, diffId: `sha256:${diffHash.digest('hex')}`, entries: 0, tarSize }
}

/**
 * Unpack a written blob into the store as the layer on top of `parentDiffIds`
 * (its chain id), through the store's verified path, held by the build's
 * lease; the blob file is removed. Returns the layer's descriptor and its chain id.
 */
export async function commitLayerBlob(
  store: ImageStore,
  blob: LayerBlob,
  parentDiffIds: readonly string[],
  lease: StoreLease,
): Promise<{ descriptor: Descriptor; chainId: string }> {
  const chainId = chainIds([...parentDiffIds, blob.diffId]).at(-1)!
  let record
  try {
    // leased before it exists: a prune between its commit and the tag must not take it
    await lease.hold([chainId])
    record = await store.unpackLayer(createReadStream(blob.path), {
      digest: blob.digest,
      size: blob.size,
      diffId: blob.diffId,
      chainId,
      mediaType: MediaType.OCI_LAYER_GZIP,
    })
  } finally {
    await rm(blob.path, { force: true })
  }
  // a layer already in the store keeps the blob it came with
  const descriptor = { mediaType: record.mediaType ?? MediaType.OCI_LAYER_GZIP, digest: record.digest, size: record.compressedSize }
  return { descriptor, chainId }
}
