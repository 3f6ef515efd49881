/**
 * Removing images: `rmi` (remove) and `image prune` (prune). Everything is
 * first renamed into tmp/ (so it disappears at once for readers) and then
 * deleted; a kill in between leaves only tmp/ garbage.
 *
 * Known race: a pull that has unpacked layers but not yet written its ref
 * (setRef comes last) can lose them to a concurrent prune; its setRef then
 * fails with EINCOMPLETE and a second pull fetches them again.
 */
import { existsSync } from 'node:fs'
import { rename, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import { chainIds as computeChainIds, isDigest } from './digest.js'
import type { ImageConfig } from './oci.js'
import { listRefs, refFileName } from './refs.js'
import type { ImageStore } from './store.js'
import { cleanStaleTmp, removeTree, tmpPath } from './store-tmp.js'
import type { PruneOptions, PruneResult, RemoveResult } from './store-types.js'

function isErrno(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '')
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return []
    throw err
  }
}

/**
 * Untag an image (`mini-run rmi`): by name, that name; by id, all its
 * names. Then delete the image's blobs and layers that no remaining image
 * uses and that are not in `inUse` (containers' layers).
 */
export async function removeImage(store: ImageStore, ref: string, opts: PruneOptions = {}): Promise<RemoveResult> {
  const refs = await store.findRefs(ref)
  if (refs.length === 0) throw new MiniRunError(`no such image: ${ref}`, { code: 'ENOIMAGE' })
  await store.init()
  const result: RemoveResult = { untagged: [], deleted: [] }
  const candidates = { blobs: new Set<string>(), layers: new Set<string>() }
  for (const r of refs) {
    try {
      const image = await store.loadImage(r.name, r.manifestDigest)
      candidates.blobs.add(image.manifestDigest).add(image.configDigest)
      for (const c of image.chainIds) candidates.layers.add(c)
    } catch (err) {
      getLogger().debug({ err, ref: r.name }, 'removing the ref of an incomplete image')
      candidates.blobs.add(r.manifestDigest)
    }
    if (await unlinkRef(store, r.name)) result.untagged.push(r.name)
  }
  const live = await liveSet(store)
  for (const digest of candidates.blobs) {
    if (live.blobs.has(digest)) continue
    if (await removeBlob(store, digest)) result.deleted.push(digest)
  }
  for (const chainId of candidates.layers) {
    if (live.layers.has(chainId) || opts.inUse?.has(chainId)) continue
    if ((await removeLayer(store, chainId)) !== undefined) result.deleted.push(chainId)
  }
  return result
}

/**
 * Remove untagged images no container uses, then every layer and blob no
 * image references and no container uses, and stale tmp/ entries.
 */
export async function pruneStore(store: ImageStore, opts: PruneOptions = {}): Promise<PruneResult> {
  await store.init()
  // a running build's layers are in no ref yet: its lease keeps them
  const { leasedLayers, pruneCacheIndex } = await import('./build-cache-index.js')
  const inUse = new Set([...(opts.inUse ?? []), ...leasedLayers(store.root)])
  const result: PruneResult = { untagged: [], deletedLayers: [], deletedBlobs: [], reclaimedBytes: 0 }
  for (const ref of await listRefs(store.refsDir)) {
    if (!opts.all && !isDigest(ref.name)) continue
    let used = false
    try {
      const chain = (await store.loadImage(ref.name, ref.manifestDigest)).chainIds
      const top = chain.at(-1)
      used = opts.usedImages ? top !== undefined && opts.usedImages.has(top) : chain.some((c) => inUse.has(c))
    } catch {
      used = false
    }
    if (!used && (await unlinkRef(store, ref.name))) result.untagged.push(ref.name)
  }
  const live = await liveSet(store)
  for (const hex of await readdirOrEmpty(store.layersDir)) {
    const chainId = `sha256:${hex}`
    if (!isDigest(chainId) || live.layers.has(chainId) || inUse.has(chainId)) continue
    const size = await removeLayer(store, chainId)
    if (size !== undefined) {
      result.deletedLayers.push(chainId)
      result.reclaimedBytes += size
    }
  }
  for (const hex of await readdirOrEmpty(store.blobsDir)) {
    const digest = `sha256:${hex}`
    if (!isDigest(digest) || live.blobs.has(digest)) continue
    const size = await stat(store.blobPath(digest)).then((s) => s.size, () => 0)
    if (await removeBlob(store, digest)) {
      result.deletedBlobs.push(digest)
      result.reclaimedBytes += size
    }
  }
  // build cache entries whose layers just went
  result.buildCacheEntries = pruneCacheIndex(store.root, (chainId) => existsSync(join(store.layerPath(chainId), 'layer.json')))
  await cleanStaleTmp(store.tmpDir)
  return result
}

/** Blobs and layers that some ref reaches. */
async function liveSet(store: ImageStore): Promise<{ blobs: Set<string>; layers: Set<string> }> {
  const blobs = new Set<string>()
  const layers = new Set<string>()
  for (const ref of await listRefs(store.refsDir)) {
    blobs.add(ref.manifestDigest).add(ref.configDigest)
    try {
      const config = await store.getJson<ImageConfig>(ref.configDigest)
      for (const c of computeChainIds(config.rootfs.diff_ids)) layers.add(c)
    } catch (err) {
      getLogger().debug({ err, ref: ref.name }, 'ref without a readable config')
    }
  }
  return { blobs, layers }
}

async function unlinkRef(store: ImageStore, name: string): Promise<boolean> {
  const path = join(store.refsDir, refFileName(name))
  const trash = tmpPath(store.tmpDir, 'rm')
  try {
    await rename(path, trash)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false
    throw err
  }
  await removeTree(trash)
  return true
}

async function removeBlob(store: ImageStore, digest: string): Promise<boolean> {
  const trash = tmpPath(store.tmpDir, 'rm')
  try {
    await rename(store.blobPath(digest), trash)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false
    throw err
  }
  await removeTree(trash)
  return true
}

/** Rename the layer out of layers/ (atomic for readers), then delete it. Returns its size: content and kept blob. */
async function removeLayer(store: ImageStore, chainId: string): Promise<number | undefined> {
  const content = await store.getLayer(chainId).then((r) => r.size, () => 0)
  const size = content + (await stat(store.layerBlobPath(chainId)).then((s) => s.size, () => 0))
  const trash = tmpPath(store.tmpDir, 'rm')
  try {
    await rename(store.layerPath(chainId), trash)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined
    throw err
  }
  await removeTree(trash)
  return size
}
