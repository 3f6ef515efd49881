/**
 * `mini-run load -i`: import images from an archive, as `docker load` does.
 *
 * Accepted:
 *   - `docker save` tars: manifest.json ([{Config, RepoTags, Layers}]) with
 *     either the old layout (<id>/layer.tar, <id>.json) or the newer one
 *     (Docker 25+: an OCI layout inside, blobs/sha256/<hex>);
 *   - OCI image layouts (oci-layout + index.json + blobs/), as a directory
 *     or a tar, with an index entry picked by platform;
 *   - either kind of tar gzip-compressed (extracted to tmp/ with node-tar
 *     first, since a compressed tar cannot be read at offsets).
 *
 * Every blob is verified: manifests and configs against their digests,
 * layers against the config's diff ids. What is stored is leased until the
 * image is named (store-lease.ts): a prune meanwhile leaves it alone.
 */
import { open as openFile, stat, mkdir } from 'node:fs/promises'
import { extract } from 'tar'
import { MiniRunError } from '../errors.js'
import { chainIds, digestHex, isDigest, sha256Digest } from './digest.js'
import { sniffCompression } from './decompress.js'
import { DirectorySource, TarFileSource, type ArchiveSource } from './archive-source.js'
import {
  INDEX_TYPES,
  MediaType,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './oci.js'
import { formatPlatform, hostPlatform, selectManifest } from './platform.js'
import { parseReference } from './reference.js'
import type { ImageStore } from './store.js'
import { MAX_BLOB_SIZE, type LoadArchiveOptions, type LoadedImage } from './store-types.js'
import { removeTree, tmpPath } from './store-tmp.js'
import { StoreLease } from './store-lease.js'
import { crashPoint } from '../crash-point.js'

interface DockerSaveEntry {
  Config: string
  RepoTags?: string[] | null
  Layers: string[]
}

const REF_NAME = 'org.opencontainers.image.ref.name'
const CONTAINERD_NAME = 'io.containerd.image.name'

function bad(source: ArchiveSource, why: string, cause?: unknown): MiniRunError {
  return new MiniRunError(`${source.label}: ${why}`, { code: 'EBADARCHIVE', ...(cause !== undefined && { cause }) })
}

async function readJson<T>(source: ArchiveSource, path: string): Promise<{ data: Buffer; value: T }> {
  const data = await source.read(path, MAX_BLOB_SIZE)
  try {
    return { data, value: JSON.parse(data.toString('utf8')) as T }
  } catch (err) {
    throw bad(source, `${path} is not valid JSON`, err)
  }
}

export async function loadArchive(store: ImageStore, path: string, opts: LoadArchiveOptions = {}): Promise<LoadedImage[]> {
  const lease = new StoreLease(store.root)
  try {
    return await loadArchiveLeased(store, lease, path, opts)
  } finally {
    lease.release()
  }
}

async function loadArchiveLeased(store: ImageStore, lease: StoreLease, path: string, opts: LoadArchiveOptions): Promise<LoadedImage[]> {
  const st = await stat(path).catch((err: unknown) => {
    throw new MiniRunError(`cannot read archive ${path}: ${(err as Error).message}`, { code: 'ENOENT', cause: err })
  })
  if (st.isDirectory()) return loadFromSource(store, lease, new DirectorySource(path), opts)

  const head = Buffer.alloc(4)
  const fh = await openFile(path)
  try {
    await fh.read(head, 0, 4, 0)
  } finally {
    await fh.close()
  }
  if (sniffCompression(head) === 'none') return loadFromSource(store, lease, await TarFileSource.open(path), opts)

  // Compressed: unpack the archive (not the layers inside) to tmp/ first.
  await store.init()
  const dir = tmpPath(store.tmpDir, 'load')
  try {
    await mkdir(dir, { mode: 0o700 })
    await extract({ file: path, cwd: dir, strict: true, preserveOwner: false, noChmod: true })
    return await loadFromSource(store, lease, new DirectorySource(dir, path), opts)
  } finally {
    await removeTree(dir)
  }
}

async function loadFromSource(store: ImageStore, lease: StoreLease, source: ArchiveSource, opts: LoadArchiveOptions): Promise<LoadedImage[]> {
  await store.init()
  if (await source.exists('manifest.json')) return loadDockerSave(store, lease, source, opts)
  if (await source.exists('index.json')) return loadOciLayout(store, lease, source, opts)
  throw bad(source, 'neither a docker save archive (manifest.json) nor an OCI image layout (index.json)')
}

function layerProgress(opts: LoadArchiveOptions, chainId: string): { progress?: (bytes: number) => void } {
  const cb = opts.progress
  return cb ? { progress: (bytes: number) => cb({ chainId, bytes }) } : {}
}

async function loadDockerSave(store: ImageStore, lease: StoreLease, source: ArchiveSource, opts: LoadArchiveOptions): Promise<LoadedImage[]> {
  const { value: entries } = await readJson<DockerSaveEntry[]>(source, 'manifest.json')
  if (!Array.isArray(entries)) throw bad(source, 'manifest.json is not a list')
  const loaded: LoadedImage[] = []
  for (const entry of entries) {
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) throw bad(source, 'manifest.json entry without Config or Layers')
    const configData = await source.read(entry.Config, MAX_BLOB_SIZE)
    const configDigest = sha256Digest(configData)
    let config: ImageConfig
    try {
      config = JSON.parse(configData.toString('utf8')) as ImageConfig
    } catch (err) {
      throw bad(source, `${entry.Config} is not valid JSON`, err)
    }
    const diffIds = config.rootfs?.diff_ids ?? []
    if (diffIds.length !== entry.Layers.length) {
      throw bad(source, `${entry.Config} lists ${diffIds.length} diff_ids for ${entry.Layers.length} layers`)
    }
    const chain = chainIds(diffIds)
    // leased before the store is asked what it has
    await lease.hold([configDigest, ...chain])
    await store.putBlob(configData, configDigest)
    crashPoint('load:after-config')
    const layers: Descriptor[] = []
    for (const [i, layerPath] of entry.Layers.entries()) {
      const chainId = chain[i]!
      const diffId = diffIds[i]!
      let record
      if (await store.hasLayerWithBlob(chainId)) record = await store.getLayer(chainId)
      else {
        record = await store.importLayer(await source.stream(layerPath), { diffId, chainId, ...layerProgress(opts, chainId) })
      }
      layers.push({
        mediaType:
          record.compression === 'gzip' ? MediaType.OCI_LAYER_GZIP : record.compression === 'zstd' ? MediaType.OCI_LAYER_ZSTD : MediaType.OCI_LAYER,
        digest: record.digest,
        size: record.compressedSize,
      })
    }
    // docker save carries no manifest in its old layout: write the one a
    // registry would serve for these blobs.
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      config: { mediaType: MediaType.OCI_CONFIG, digest: configDigest, size: configData.length },
      layers,
    }
    const manifestData = Buffer.from(JSON.stringify(manifest))
    const manifestDigest = sha256Digest(manifestData)
    await lease.hold([manifestDigest])
    await store.putBlob(manifestData, manifestDigest)
    crashPoint('load:before-ref')
    const tags = opts.name !== undefined ? [opts.name] : (entry.RepoTags ?? []).filter((t) => typeof t === 'string')
    loaded.push(...(await nameImage(store, source, opts, tags.map((t) => parseReference(t).name), { manifestDigest, configDigest })))
  }
  return loaded
}

/**
 * Point the names at a loaded image, or its id when it has none. The store
 * refuses a name that pins another digest (EREFDIGEST: an archive may claim
 * `repo@sha256:<another image>`); a name the archive gave is then dropped
 * with a warning and the image loads under its other names, or untagged. A
 * name the caller gave (opts.name) fails the load instead.
 */
async function nameImage(
  store: ImageStore,
  source: ArchiveSource,
  opts: LoadArchiveOptions,
  names: string[],
  image: { manifestDigest: string; configDigest: string; index?: Buffer },
): Promise<LoadedImage[]> {
  const { manifestDigest, configDigest } = image
  const loaded: LoadedImage[] = []
  for (const name of names) {
    try {
      await store.setRef(name, manifestDigest, { fromRegistry: true, ...(image.index !== undefined && { index: image.index }) })
      loaded.push({ name, manifestDigest, configDigest })
    } catch (err) {
      if (opts.name !== undefined || !(err instanceof MiniRunError) || err.code !== 'EREFDIGEST') throw err
      opts.warning?.(`${source.label}: ${err.message}; loaded without that name`)
    }
  }
  if (loaded.length === 0) {
    await store.setRef(configDigest, manifestDigest)
    loaded.push({ manifestDigest, configDigest })
  }
  return loaded
}

/** A JSON blob of the archive, or one line naming it. */
function parseBlob<T>(source: ArchiveSource, digest: string, data: Buffer): T {
  try {
    return JSON.parse(data.toString('utf8')) as T
  } catch (err) {
    throw bad(source, `blob ${digest} is not valid JSON`, err)
  }
}

async function readBlob(store: ImageStore, lease: StoreLease, source: ArchiveSource, digest: string): Promise<Buffer> {
  const data = await source.read(`blobs/sha256/${digestHex(digest)}`, MAX_BLOB_SIZE)
  await lease.hold([digest])
  await store.putBlob(data, digest)
  return data
}

/** The name an OCI layout gives an index entry, if any. */
function entryName(d: Descriptor, opts: LoadArchiveOptions): string | undefined {
  if (opts.name !== undefined) return parseReference(opts.name).name
  const full = d.annotations?.[CONTAINERD_NAME]
  if (full) return parseReference(full).name
  const refName = d.annotations?.[REF_NAME]
  if (!refName) return undefined
  // a full reference (podman writes those) or just a tag (the spec's usual use)
  if (refName.includes('/') || (refName.includes(':') && !/^[\w][\w.-]{0,127}$/.test(refName))) return parseReference(refName).name
  return undefined
}

async function loadOciLayout(store: ImageStore, lease: StoreLease, source: ArchiveSource, opts: LoadArchiveOptions): Promise<LoadedImage[]> {
  const { value: index } = await readJson<ImageIndex>(source, 'index.json')
  if (!Array.isArray(index.manifests)) throw bad(source, 'index.json has no manifests')
  const want: Platform = opts.platform ?? hostPlatform()
  const loaded: LoadedImage[] = []
  for (const top of index.manifests) {
    if (!isDigest(top.digest)) throw bad(source, `index.json names an invalid digest ${JSON.stringify(top.digest)}`)
    if (top.platform && !selectManifest({ schemaVersion: 2, manifests: [top] }, want)) continue
    const name = entryName(top, opts)
    let descriptor = top
    let indexData: Buffer | undefined
    if (INDEX_TYPES.has(top.mediaType)) {
      indexData = await readBlob(store, lease, source, top.digest)
      const nested = parseBlob<ImageIndex>(source, top.digest, indexData)
      const picked = selectManifest(nested, want)
      if (!picked) throw bad(source, `no image for platform ${formatPlatform(want)} in index ${top.digest}`)
      descriptor = picked
    }
    const manifest = parseBlob<ImageManifest>(source, descriptor.digest, await readBlob(store, lease, source, descriptor.digest))
    if (!manifest?.config || !isDigest(manifest.config.digest) || !Array.isArray(manifest.layers) || !manifest.layers.every((l) => isDigest(l?.digest))) {
      throw bad(source, `${descriptor.digest} is not an image manifest`)
    }
    const config = parseBlob<ImageConfig>(source, manifest.config.digest, await readBlob(store, lease, source, manifest.config.digest))
    crashPoint('load:after-config')
    const diffIds = config.rootfs?.diff_ids ?? []
    if (diffIds.length !== manifest.layers.length) {
      throw bad(source, `config ${manifest.config.digest} lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`)
    }
    const chain = chainIds(diffIds)
    await lease.hold(chain)
    for (const [i, layer] of manifest.layers.entries()) {
      const chainId = chain[i]!
      if (await store.hasLayerWithBlob(chainId)) continue
      await store.unpackLayer(await source.stream(`blobs/sha256/${digestHex(layer.digest)}`), {
        digest: layer.digest,
        size: layer.size,
        mediaType: layer.mediaType,
        diffId: diffIds[i]!,
        chainId,
        ...layerProgress(opts, chainId),
      })
    }
    crashPoint('load:before-ref')
    const image = { manifestDigest: descriptor.digest, configDigest: manifest.config.digest, ...(indexData && { index: indexData }) }
    loaded.push(...(await nameImage(store, source, opts, name !== undefined ? [name] : [], image)))
  }
  if (loaded.length === 0) throw bad(source, `no image for platform ${formatPlatform(want)} in index.json`)
  return loaded
}
