/**
 * The image store: content-addressed blobs, unpacked layers and names.
 *
 *   <root>/blobs/sha256/<hex>          manifests, configs, indexes (verified)
 *   <root>/layers/<chainIdHex>/fs/     an unpacked layer: an overlay lower dir
 *   <root>/layers/<chainIdHex>/layer.json   its LayerRecord
 *   <root>/layers/<chainIdHex>/blob    the layer's blob as received (push, save)
 *   <root>/layers/<chainIdHex>/sources.json  repositories that hold that blob
 *   <root>/refs/<encoded name>         {name, manifestDigest, configDigest}
 *   <root>/tmp/                        work in progress
 *
 * Nothing becomes visible before it is complete and verified: every write
 * goes to tmp/ and is renamed into place (rename(2) is atomic within a file
 * system). A process killed mid-way leaves only tmp/ entries, which a later
 * store operation removes once their owner is gone (see store-tmp.ts). What
 * is renamed into place was synced first, and its directory is synced after:
 * a power cut loses a pull, never half of one.
 *
 * Several processes share the store (store-locks.ts): a layer is ingested
 * under its own lock, so a second pull of it waits and then skips it; should
 * two unpack it all the same (a lock file removed meanwhile), the second
 * rename fails because the target exists and the loser discards its copy.
 *
 * A ref is written last, by setRef, which first checks that the manifest,
 * config and every layer are present: a name never points at half an image.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { MiniRunError } from '../errors.js'
import { defaultStoreRoot } from '../paths.js'
import { checkPrivateDir, ensurePrivateDir } from '../private-dir.js'
import { ownSubordinateIds } from '../rootless/subordinate-ids.js'
import type { IdMapping } from '../runtime/spec/spec.js'
import { digestHex, isDigest, sha256Digest } from './digest.js'
import { DEFAULT_LIMITS, type UnpackLimits } from './layer-entry-checks.js'
import { parseReference } from './reference.js'
import { readMetadata, readRef } from './refs.js'
import { LAYER_BLOB, STORE_PRIVATE as PRIVATE, storeRootDir } from './store-dirs.js'
import { describeStoreError, noImage } from './store-errors.js'
import { listImages, loadStoreImage } from './store-images.js'
import type { SubordinateIds } from './store-layer-ingest.js'
import { findStoreRefs, setStoreRef, tagImage } from './store-refs.js'
import { cleanStaleTmp, writeFileAtomic } from './store-tmp.js'
import {
  MAX_BLOB_SIZE,
  type ImageStoreOptions,
  type ImageSummary,
  type LayerRecord,
  type LayerSource,
  type RefRecord,
  type ResolvedImage,
  type SetRefOptions,
  type UnpackLayerOptions,
  type UnpackLayerResult,
} from './store-types.js'

export { defaultStoreRoot }

function isErrno(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '')
}

export class ImageStore {
  readonly root: string
  readonly rootless: boolean
  readonly limits: UnpackLimits
  readonly blobsDir: string
  readonly layersDir: string
  readonly refsDir: string
  readonly tmpDir: string
  #ready: Promise<void> | undefined
  #subordinateIds: ImageStoreOptions['subordinateIds']

  constructor(opts: ImageStoreOptions = {}) {
    this.root = opts.root ?? defaultStoreRoot()
    this.rootless = opts.rootless ?? process.getuid?.() !== 0
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.#subordinateIds = opts.subordinateIds
    // normalized once here: the paths below are these and a checked hex digest
    // joined with a slash (node:path's join was a tenth of an `images`)
    this.blobsDir = join(this.root, 'blobs', 'sha256')
    this.layersDir = join(this.root, 'layers')
    this.refsDir = join(this.root, 'refs')
    this.tmpDir = join(this.root, 'tmp')
    // a store someone else made or may write is refused before it is read
    if (checkPrivateDir(this.root, storeRootDir())) for (const dir of this.#privateDirs()) checkPrivateDir(dir, PRIVATE)
  }

  /**
   * Everything but containers/ is the owner's alone. The root and
   * containers/ may be searched (not read) by others: a user namespace's
   * root (--userns=auto) must reach its own writable layer and the
   * idmapped mounts of its layers, under containers/<id>/.
   */
  #privateDirs(): string[] {
    return [join(this.root, 'blobs'), this.blobsDir, this.layersDir, this.refsDir, this.tmpDir, join(this.root, 'locks'), join(this.root, 'leases')]
  }

  /** Create the layout and remove what killed processes left in tmp/; once per instance. */
  init(): Promise<void> {
    this.#ready ??= (async () => {
      ensurePrivateDir(this.root, storeRootDir())
      for (const dir of this.#privateDirs()) ensurePrivateDir(dir, PRIVATE)
      await cleanStaleTmp(this.tmpDir)
    })()
    return this.#ready
  }

  blobPath(digest: string): string {
    return `${this.blobsDir}/${digestHex(digest)}`
  }

  layerPath(chainId: string): string {
    return `${this.layersDir}/${digestHex(chainId)}`
  }

  /** The overlay lower dir of a layer. */
  layerFsPath(chainId: string): string {
    return `${this.layerPath(chainId)}/fs`
  }

  // ---- blobs -------------------------------------------------------------

  async hasBlob(digest: string): Promise<boolean> {
    return exists(this.blobPath(digest))
  }

  /**
   * Store a manifest, config or index after checking it hashes to `digest`
   * and is at most MAX_BLOB_SIZE bytes. Throws EDIGEST / EBLOBSIZE naming the
   * digest, and stores nothing then.
   */
  async putBlob(data: Buffer, digest: string): Promise<void> {
    const dest = this.blobPath(digest)
    if (data.length > MAX_BLOB_SIZE) {
      throw new MiniRunError(`blob ${digest} is ${data.length} bytes, more than the ${MAX_BLOB_SIZE} allowed for a manifest or config`, {
        code: 'EBLOBSIZE',
      })
    }
    const actual = sha256Digest(data)
    if (actual !== digest) {
      throw new MiniRunError(`blob ${digest} failed verification: its content hashes to ${actual}`, { code: 'EDIGEST' })
    }
    await this.init()
    try {
      await writeFileAtomic(this.tmpDir, dest, data)
    } catch (err) {
      throw describeStoreError(err, `store blob ${digest}`, this.root)
    }
  }

  async getBlob(digest: string): Promise<Buffer> {
    try {
      return readMetadata(this.blobPath(digest))
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new MiniRunError(`blob ${digest} is not in the store`, { code: 'ENOBLOB', cause: err })
      throw err
    }
  }

  /** A stored blob parsed as JSON; throws EBADJSON naming the digest. */
  async getJson<T>(digest: string): Promise<T> {
    const data = await this.getBlob(digest)
    try {
      return JSON.parse(data.toString('utf8')) as T
    } catch (err) {
      throw new MiniRunError(`blob ${digest} is not valid JSON`, { code: 'EBADJSON', cause: err })
    }
  }

  // ---- layers ------------------------------------------------------------

  async hasLayer(chainId: string): Promise<boolean> {
    return exists(`${this.layerPath(chainId)}/layer.json`)
  }

  /**
   * layers/<chainId>/blob: the layer's blob exactly as it was pulled or
   * loaded, the one whose digest and size the LayerRecord gives. Push and
   * save send it; only layers stored by older versions lack it.
   */
  layerBlobPath(chainId: string): string {
    return `${this.layerPath(chainId)}/${LAYER_BLOB}`
  }

  async hasLayerBlob(chainId: string): Promise<boolean> {
    return exists(this.layerBlobPath(chainId))
  }

  /** The layer and its blob: what pull and load may skip. */
  async hasLayerWithBlob(chainId: string): Promise<boolean> {
    return (await this.hasLayer(chainId)) && (await this.hasLayerBlob(chainId))
  }

  /** Registries and repositories known to hold a layer's blob (layer-sources.ts), most recent first. */
  async layerSources(chainId: string): Promise<LayerSource[]> {
    const { readLayerSources } = await import('./layer-sources.js')
    return readLayerSources(this.layerPath(chainId))
  }

  /** Remember that `registry`/`repository` holds the blob `digest` of this layer (for cross-repository mounts). */
  async addLayerSource(chainId: string, source: LayerSource): Promise<void> {
    const { addLayerSource } = await import('./layer-sources.js')
    await this.init()
    await addLayerSource(this.layerPath(chainId), this.tmpDir, source)
  }

  async getLayer(chainId: string): Promise<LayerRecord> {
    const path = `${this.layerPath(chainId)}/layer.json`
    try {
      return JSON.parse(readMetadata(path).toString('utf8')) as LayerRecord
    } catch (err) {
      throw new MiniRunError(`layer ${chainId} is not in the store`, { code: 'ENOLAYER', cause: err })
    }
  }

  /**
   * Unpack a layer blob into layers/<chainId>/. The stream is hashed and
   * counted as it arrives (digest, size), decompressed (gzip, zstd, or plain
   * tar, sniffed from the first bytes), hashed again (diffId) and extracted
   * into tmp/; only if every check passes is the tree renamed into place. A
   * mismatch or a hostile entry throws an error naming the digest and leaves
   * nothing. If the layer is already present the stream is destroyed unread
   * and `skipped` is true.
   */
  async unpackLayer(stream: Readable, opts: UnpackLayerOptions): Promise<UnpackLayerResult> {
    digestHex(opts.digest)
    return this.#unpack(stream, opts)
  }

  /**
   * Like unpackLayer for a layer whose blob digest is not known in advance
   * (a `docker save` archive names layers by path): only the diff id is
   * verified, which pins the content all the same. The blob digest is
   * computed and returned.
   */
  async importLayer(stream: Readable, opts: Omit<UnpackLayerOptions, 'digest' | 'size'>): Promise<UnpackLayerResult> {
    return this.#unpack(stream, opts)
  }

  async #unpack(stream: Readable, opts: Omit<UnpackLayerOptions, 'digest'> & { digest?: string }): Promise<UnpackLayerResult> {
    // on first use: the ingest path (tar reader, decompressors) is most of what
    // the store's module would start otherwise, and `images` or `run` of a
    // stored image never ingest
    const { ingestStoreLayer } = await import('./store-layer-ingest.js')
    return ingestStoreLayer(this, stream, opts, this.#unpackIds())
  }

  /** The maps of a rootless store's layers with subordinate ids: a file's host id X is the image's containerId(X). */
  get idMaps(): { uid: IdMapping[]; gid: IdMapping[] } | undefined {
    const ids = this.#unpackIds()
    return ids && { uid: ids.uid, gid: ids.gid }
  }

  /** The maps layers are unpacked with (ImageStoreOptions.subordinateIds), decided on the first unpack. */
  #unpackIds(): SubordinateIds | undefined {
    if (this.#subordinateIds === undefined) {
      this.#subordinateIds = (this.rootless && ownSubordinateIds()) || false
    }
    return this.#subordinateIds || undefined
  }

  // ---- refs --------------------------------------------------------------

  /**
   * Point a name at an image manifest. The manifest, its config and all its
   * layers must be in the store already (EINCOMPLETE otherwise), so a name
   * never points at half an image. `name` is normalized (alpine ->
   * docker.io/library/alpine:latest); an image id (sha256:...) marks an
   * untagged image and must be its config digest. A name with a digest
   * (repo@sha256:..., repo:tag@sha256:...) must pin this very manifest, or
   * the multi-platform index given as `opts.index` that lists it; any other
   * is refused with EREFDIGEST, so no writer of refs (pull, load) can make
   * a pinned name run other content.
   */
  async setRef(name: string, manifestDigest: string, opts: SetRefOptions = {}): Promise<void> {
    return setStoreRef(this, name, manifestDigest, opts)
  }

  /**
   * Give the image `source` designates (a name, an id or id prefix) the name
   * `target` as well (`mini-run tag`): a new ref to the same manifest. A
   * target that names another image is moved, as in Docker.
   */
  async tag(source: string, target: string): Promise<RefRecord> {
    return tagImage(this, source, target)
  }

  /** The manifest digest a name points at, or undefined. */
  async getRef(name: string): Promise<string | undefined> {
    const normalized = isDigest(name) ? name : parseReference(name).name
    return (await readRef(this.refsDir, normalized))?.manifestDigest
  }

  /**
   * The refs a user's reference designates: one for a name, all the names
   * of an image for an id or id prefix (Docker's "IMAGE ID", with or without
   * "sha256:"). Names win over ids, as in Docker.
   */
  async findRefs(ref: string): Promise<RefRecord[]> {
    return findStoreRefs(this, ref)
  }

  // ---- images ------------------------------------------------------------

  /**
   * Everything needed to run an image: its config and the lower dirs, bottom
   * first. Throws ENOIMAGE naming the reference if absent, EINCOMPLETE if a
   * part is missing.
   */
  async resolve(ref: string): Promise<ResolvedImage> {
    const [found] = await this.findRefs(ref)
    if (!found) throw noImage(ref)
    return this.loadImage(found.name, found.manifestDigest)
  }

  /** An image by manifest digest, checked complete; `name` is only for messages and the result. */
  async loadImage(name: string, manifestDigest: string): Promise<ResolvedImage> {
    return loadStoreImage(this, name, manifestDigest)
  }

  /** Every named image (and untagged one), sorted by name. */
  async list(): Promise<ImageSummary[]> {
    return listImages(this)
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    statSync(path)
    return true
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return false
    throw err
  }
}

