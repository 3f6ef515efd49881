/**
 * Removing images: `rmi` (remove) and `image prune` (prune), garbage
 * collection of the store. Each holds the store's GC lock exclusively while
 * it decides what goes and renames it into tmp/ (so it disappears at once for
 * readers); the trash is deleted after the lock is released, and a kill in
 * between leaves only tmp/ garbage. Under the lock it reads what must stay:
 * what refs reach, what containers use (their records, read then, not
 * before), what running pulls, loads and builds hold in leases
 * (store-lease.ts, store-locks.ts), and the layers build cache entries need
 * (build-cache-index.ts): as BuildKit's, the build cache is not images, and
 * only `builder prune` (build-cache-prune.ts) removes it.
 */
import { rename, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import { chainIds as computeChainIds, digestHex, isDigest } from './digest.js'
import type { ImageConfig } from './oci.js'
import { crashPoint } from '../crash-point.js'
import { listCacheEntries } from './build-cache-index.js'
import { listRefs, refFileName } from './refs.js'
import type { ImageStore } from './store.js'
import { leasedDigests } from './store-lease.js'
import { removeRefLock, withGcLock } from './store-locks.js'
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

/** What containers use, read now: under the GC lock, so that a container recorded just before counts. */
async function containersInUse(opts: PruneOptions): Promise<ReadonlySet<string>> {
  const inUse = opts.inUse
  return typeof inUse === 'function' ? inUse() : (inUse ?? new Set())
}

/**
 * Untag an image (`mini-run rmi`): by name, that name; by id, all its
 * names (of several, only with `force`, as Docker). Then delete the image's blobs and layers that no remaining image
 * uses, that no build cache entry needs, that no container uses (`inUse`) and that no running operation
 * holds. An image that containers were made from is refused (ECONFLICT,
 * as Docker's "image is being used by container") when this would take
 * its last name, unless `force`: then it loses its names and its layers
 * stay until no container uses them.
 */
export async function removeImage(store: ImageStore, ref: string, opts: PruneOptions & { force?: boolean } = {}): Promise<RemoveResult> {
  await store.init()
  const trash: string[] = []
  try {
    return await withGcLock(store.root, 'exclusive', async () => {
      const refs = await store.findRefs(ref)
      if (refs.length === 0) throw new MiniRunError(`no such image: ${ref}`, { code: 'ENOIMAGE' })
      const inUse = await containersInUse(opts)
      const result: RemoveResult = { untagged: [], deleted: [] }
      const candidates = { blobs: new Set<string>(), layers: new Set<string>() }
      const images = new Map<string, string[]>()
      for (const r of refs) {
        try {
          const image = await store.loadImage(r.name, r.manifestDigest)
          candidates.blobs.add(image.manifestDigest).add(image.configDigest)
          for (const c of image.chainIds) candidates.layers.add(c)
          images.set(r.manifestDigest, image.chainIds)
        } catch (err) {
          getLogger().debug({ err, ref: r.name }, 'removing the ref of an incomplete image')
          candidates.blobs.add(r.manifestDigest)
        }
      }
      // by id, an image of several names: Docker's daemon refuses to drop them all unasked
      const tags = refs.filter((r) => !r.name.includes('@'))
      if (!opts.force && tags.length > 1) {
        throw new MiniRunError(`conflict: unable to delete ${digestHex(tags[0]!.configDigest).slice(0, 12)} (must be forced) - image is referenced in multiple repositories`, { code: 'EMULTIPLEREFS' })
      }
      if (!opts.force) await refuseInUse(store, ref, refs, images, inUse)
      for (const r of refs) {
        if (await unlinkRef(store, r.name, trash)) result.untagged.push(r.name)
      }
      crashPoint('rmi:after-untag')
      const live = await liveSet(store)
      const leased = leasedDigests(store.root)
      for (const digest of candidates.blobs) {
        if (live.blobs.has(digest) || leased.has(digest)) continue
        if (await removeBlob(store, digest, trash)) result.deleted.push(digest)
      }
      for (const chainId of candidates.layers) {
        if (live.layers.has(chainId) || inUse.has(chainId) || leased.has(chainId)) continue
        if ((await removeLayer(store, chainId, trash)) !== undefined) result.deleted.push(chainId)
      }
      return result
    })
  } finally {
    for (const path of trash) await removeTree(path)
  }
}

/**
 * Docker's rule: removing a name that other names of the image keep is
 * always fine; taking an image's last name (or removing it by id) is
 * refused while a container, running or stopped, was made from it.
 */
async function refuseInUse(
  store: ImageStore,
  ref: string,
  refs: { name: string; manifestDigest: string }[],
  images: Map<string, string[]>,
  inUse: ReadonlySet<string>,
): Promise<void> {
  const all = await listRefs(store.refsDir)
  for (const r of refs) {
    const chain = images.get(r.manifestDigest)
    const top = chain?.at(-1)
    if (top === undefined || !inUse.has(top)) continue
    const removing = new Set(refs.map((x) => x.name))
    const kept = all.some((o) => !removing.has(o.name) && o.manifestDigest === r.manifestDigest)
    if (kept) continue
    throw new MiniRunError(
      `conflict: unable to remove image ${ref}: a container uses it (remove the container first, or use rmi -f to untag it; its layers stay while a container uses them)`,
      { code: 'ECONFLICT' },
    )
  }
}

/**
 * Remove untagged images no container uses, then every layer and blob no
 * image references, no build cache entry needs, no container uses and no
 * running operation holds, and stale tmp/ entries.
 */
export async function pruneStore(store: ImageStore, opts: PruneOptions = {}): Promise<PruneResult> {
  await store.init()
  const trash: string[] = []
  try {
    return await withGcLock(store.root, 'exclusive', async () => {
      const leased = leasedDigests(store.root)
      const inUse = new Set([...(await containersInUse(opts)), ...leased])
      const usedImages = typeof opts.usedImages === 'function' ? await opts.usedImages() : opts.usedImages
      const result: PruneResult = { untagged: [], untaggedImages: [], deletedLayers: [], deletedBlobs: [], reclaimedBytes: 0 }
      for (const ref of await listRefs(store.refsDir)) {
        if (!opts.all && !isDigest(ref.name)) continue
        let used = false
        try {
          const chain = (await store.loadImage(ref.name, ref.manifestDigest)).chainIds
          const top = chain.at(-1)
          used = usedImages ? top !== undefined && usedImages.has(top) : chain.some((c) => inUse.has(c))
        } catch {
          used = false
        }
        if (!used && (await unlinkRef(store, ref.name, trash))) {
          result.untagged.push(ref.name)
          result.untaggedImages.push({ name: ref.name, configDigest: ref.configDigest })
        }
      }
      crashPoint('prune:after-untag')
      const live = await liveSet(store)
      for (const hex of await readdirOrEmpty(store.layersDir)) {
        const chainId = `sha256:${hex}`
        if (!isDigest(chainId) || live.layers.has(chainId) || inUse.has(chainId)) continue
        const size = await removeLayer(store, chainId, trash)
        if (size !== undefined) {
          result.deletedLayers.push(chainId)
          result.reclaimedBytes += size
        }
        crashPoint('prune:after-layer')
      }
      for (const hex of await readdirOrEmpty(store.blobsDir)) {
        const digest = `sha256:${hex}`
        if (!isDigest(digest) || live.blobs.has(digest) || leased.has(digest)) continue
        const size = await stat(store.blobPath(digest)).then((s) => s.size, () => 0)
        if (await removeBlob(store, digest, trash)) {
          result.deletedBlobs.push(digest)
          result.reclaimedBytes += size
        }
      }
      return result
    })
  } finally {
    for (const path of trash) await removeTree(path)
    crashPoint('prune:after-delete')
    await cleanStaleTmp(store.tmpDir)
  }
}

/** Blobs and layers that some ref reaches or, unless `imagesOnly`, some build cache entry needs. */
export async function liveSet(store: ImageStore, o: { imagesOnly?: boolean } = {}): Promise<{ blobs: Set<string>; layers: Set<string> }> {
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
  // an entry holds its config inline: it needs layers, no blob of blobs/
  if (!o.imagesOnly) for (const entry of listCacheEntries(store.root)) for (const c of entry.chainIds) layers.add(c)
  return { blobs, layers }
}

/** Rename path into tmp/ (gone at once for readers), to be deleted later; false if it was not there. */
export async function moveToTrash(store: ImageStore, path: string, trash: string[]): Promise<boolean> {
  const to = tmpPath(store.tmpDir, 'rm')
  try {
    await rename(path, to)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false
    throw err
  }
  trash.push(to)
  return true
}

async function unlinkRef(store: ImageStore, name: string, trash: string[]): Promise<boolean> {
  const moved = await moveToTrash(store, join(store.refsDir, refFileName(name)), trash)
  if (moved) removeRefLock(store.root, name)
  return moved
}

async function removeBlob(store: ImageStore, digest: string, trash: string[]): Promise<boolean> {
  return moveToTrash(store, store.blobPath(digest), trash)
}

/** Rename the layer out of layers/ (atomic for readers), to be deleted later. Returns its size: content and kept blob. */
export async function removeLayer(store: ImageStore, chainId: string, trash: string[]): Promise<number | undefined> {
  const content = await store.getLayer(chainId).then((r) => r.size, () => 0)
  const size = content + (await stat(store.layerBlobPath(chainId)).then((s) => s.size, () => 0))
  return (await moveToTrash(store, store.layerPath(chainId), trash)) ? size : undefined
}
