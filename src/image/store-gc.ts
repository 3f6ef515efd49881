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
import { chainIds as computeChainIds, isDigest } from './digest.js'
import { conflictError, deleteConflict, lastNameError } from './image-delete-conflict.js'
import type { ImageConfig } from './oci.js'
import { crashPoint } from '../crash-point.js'
import { listCacheEntries } from './build-cache-index.js'
import { listRefs, refFileName, writeRef } from './refs.js'
import { parseReference } from './reference.js'
import type { ImageStore } from './store.js'
import { leasedDigests } from './store-lease.js'
import { removeRefLock, withGcLock } from './store-locks.js'
import { cleanStaleTmp, removeTree, tmpPath } from './store-tmp.js'
import type { PruneOptions, PruneResult, RefRecord, RemoveOptions, RemoveResult } from './store-types.js'

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
 * `mini-run rmi`, as Docker's ImageDelete (image-delete-conflict.ts): by
 * name, untag that name, then delete the image if that was its last name;
 * by id, untag its names and delete it. Refused, as Docker refuses: the
 * last name of an image a container was made from, without `force`; by id,
 * an image a running container uses (even forced), or, unforced, one a
 * stopped container uses or several names designate. The last name of an
 * image a running container uses goes (with `force`), and the image stays
 * untagged, `<none>:<none>`. Deleting removes the image's blobs and layers
 * that no remaining image uses, that no build cache entry needs, that no
 * container uses (`inUse`: a stopped container's layers stay after its
 * image goes, as Docker's) and that no running operation holds.
 */
export async function removeImage(store: ImageStore, ref: string, opts: RemoveOptions = {}): Promise<RemoveResult> {
  await store.init()
  const trash: string[] = []
  try {
    return await withGcLock(store.root, 'exclusive', async () => {
      const refs = await store.findRefs(ref)
      if (refs.length === 0) throw new MiniRunError(`no such image: ${ref}`, { code: 'ENOIMAGE' })
      const force = opts.force === true
      const users = typeof opts.users === 'function' ? await opts.users() : (opts.users ?? [])
      const configDigest = refs[0]!.configDigest
      const ofImage = [...refs, ...(await listRefs(store.refsDir)).filter((r) => r.configDigest === configDigest && !refs.some((x) => x.name === r.name))]
      // Docker's references: the names; the id an untagged image is listed by is none
      const names = ofImage.filter((r) => !isDigest(r.name))
      const result: RemoveResult = { untagged: [], deleted: [] }
      const untag = async (name: string) => {
        if (await unlinkRef(store, name, trash)) result.untagged.push(name)
      }
      if (!designatesId(ref, refs)) {
        const name = refs[0]!.name
        const user = users.find((u) => u.imageId === configDigest)
        if (!force && isSingleReference(names) && user) throw lastNameError(ref, configDigest, user)
        // a repository's last tag takes its digest names with it (moby ImageDelete): alpine@sha256:... goes with alpine:latest
        const digestNames = sameRepositoryDigests(name, names)
        const others = names.filter((r) => r.name !== name && !digestNames.includes(r))
        // quiet, as Docker's delete after an untag: a conflict keeps the image, untagged, unreported
        const keep = others.length === 0 && deleteConflict(configDigest, users, { force, names: 0 }) !== undefined
        // its id first: a crash in between leaves it its name and its id, never unreachable
        if (keep) await writeRef(store.tmpDir, store.refsDir, { name: configDigest, manifestDigest: refs[0]!.manifestDigest, configDigest, updated: new Date().toISOString() })
        await untag(name)
        for (const r of digestNames) await untag(r.name)
        if (others.length > 0 || keep) return result
      } else if (isSingleReference(names)) {
        const conflict = deleteConflict(configDigest, users, { force, names: 0 })
        if (conflict) throw conflictError(configDigest, conflict)
      } else {
        const conflict = deleteConflict(configDigest, users, { force, names: names.length })
        if (conflict) throw conflictError(configDigest, conflict)
      }
      for (const r of ofImage) await untag(r.name)
      crashPoint('rmi:after-untag')
      await deleteUnused(store, ofImage, await containersInUse(opts), result, trash)
      return result
    })
  } finally {
    for (const path of trash) await removeTree(path)
  }
}

/** The digest names (repo@sha256:...) of a tag's repository, when no other tag of that repository stays; none for a digest name. */
function sameRepositoryDigests(name: string, names: readonly RefRecord[]): RefRecord[] {
  const tag = parseReference(name)
  if (tag.digest !== undefined) return []
  const ofRepository = names.filter((r) => r.name !== name && parseReference(r.name).repository === tag.repository)
  if (ofRepository.some((r) => !r.name.includes('@'))) return []
  return ofRepository
}

/** Docker's isSingleReference: one name, or names of one repository of which one at most is a tag. */
function isSingleReference(names: readonly RefRecord[]): boolean {
  const repositories = new Set(names.map((r) => parseReference(r.name).repository))
  return names.length > 0 && repositories.size === 1 && names.filter((r) => !r.name.includes('@')).length <= 1
}

/** Whether the user gave the image's id (or a prefix of it), not a name: a name wins, as findStoreRefs decides. */
function designatesId(ref: string, refs: readonly RefRecord[]): boolean {
  if (refs.length !== 1 || isDigest(refs[0]!.name)) return true
  try {
    return parseReference(ref).name !== refs[0]!.name
  } catch {
    return true
  }
}

/** After the refs went: the blobs and layers of `refs` that nothing else needs. */
async function deleteUnused(store: ImageStore, refs: readonly RefRecord[], inUse: ReadonlySet<string>, result: RemoveResult, trash: string[]): Promise<void> {
  const candidates = { blobs: new Set<string>(), layers: new Set<string>() }
  for (const r of refs) {
    candidates.blobs.add(r.manifestDigest)
    try {
      const image = await store.loadImage(r.name, r.manifestDigest)
      candidates.blobs.add(image.configDigest)
      for (const c of image.chainIds) candidates.layers.add(c)
    } catch (err) {
      getLogger().debug({ err, ref: r.name }, 'removing the ref of an incomplete image')
    }
  }
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
          const image = await store.loadImage(ref.name, ref.manifestDigest)
          const chain = image.chainIds
          const top = chain.at(-1)
          used = usedImages ? top !== undefined && usedImages.has(top) : chain.some((c) => inUse.has(c))
          // not chosen by the caller's filter: kept as if used
          if (opts.select && !opts.select(image)) used = true
        } catch {
          used = opts.select !== undefined
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
