/**
 * Names in the store: pointing a name at a complete image (setRef), tagging,
 * and finding the refs a user's reference designates (a name, an image id or
 * id prefix). Apart from store.ts because it is the policy of names; the
 * ref files themselves are read and written by refs.ts. The ImageStore
 * methods setRef, tag and findRefs call these.
 */
import { MiniRunError, UsageError } from '../errors.js'
import { crashPoint } from '../crash-point.js'
import { digestHex, isDigest, sha256Digest } from './digest.js'
import type { ImageManifest } from './oci.js'
import { parseReference } from './reference.js'
import { listRefs, readRef, refDigestConflict, writeRef } from './refs.js'
import { describeStoreError, noImage } from './store-errors.js'
import { lockRef, withGcLock } from './store-locks.js'
import type { RefRecord, SetRefOptions, StoreAccess } from './store-types.js'

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
 *
 * A name moved off an image that has no other name leaves it untagged,
 * `<none>:<none>` (dangling) until pruned, as Docker leaves the image a
 * rebuilt tag, a pull or a load took its name from (keepUntagged).
 */
export async function setStoreRef(store: StoreAccess, name: string, manifestDigest: string, opts: SetRefOptions = {}): Promise<void> {
  const normalized = isDigest(name) ? name : parseReference(name).name
  await store.init()
  const lock = await lockRef(store.root, normalized)
  try {
    // checked and written with no collector running: it cannot remove the
    // image between the check and the name (store-locks.ts)
    await withGcLock(store.root, 'shared', async () => {
      const image = await store.loadImage(normalized, manifestDigest)
      const conflict = refDigestConflict(normalized, image, opts.index)
      if (conflict !== undefined) throw new MiniRunError(conflict, { code: 'EREFDIGEST' })
      const ref: RefRecord = {
        name: normalized,
        manifestDigest,
        configDigest: image.configDigest,
        updated: new Date().toISOString(),
        // through a multi-platform index, the registry holds the name under the index's digest:
        // Docker's RepoDigests (and `pull repo@digest`) name that, not the platform's manifest
        repoDigest: opts.fromRegistry ? (opts.index !== undefined ? sha256Digest(opts.index) : manifestDigest) : null,
      }
      crashPoint('ref:before-write')
      try {
        if (!isDigest(normalized)) await keepUntagged(store, normalized, image.configDigest)
        await writeRef(store.tmpDir, store.refsDir, ref)
      } catch (err) {
        throw describeStoreError(err, `name ${normalized}`, store.root)
      }
    })
  } finally {
    lock.release()
  }
}

/**
 * After a push of `name`: the registry now has its image under
 * `manifestDigest` (which differs from the stored manifest's when the push
 * rewrote it), listed as a RepoDigest from now on. Nothing is written if
 * the name was moved to another image meanwhile.
 */
export async function recordRepoDigest(store: StoreAccess, name: string, configDigest: string, manifestDigest: string): Promise<void> {
  const lock = await lockRef(store.root, name)
  try {
    const ref = await readRef(store.refsDir, name)
    if (ref === undefined || ref.configDigest !== configDigest || ref.repoDigest === manifestDigest) return
    await writeRef(store.tmpDir, store.refsDir, { ...ref, repoDigest: manifestDigest })
  } finally {
    lock.release()
  }
}

/**
 * Before `name` moves to the image `configDigest`: if the image it names
 * now has no other ref, give it its id as a ref (an untagged image, as an
 * untagged build makes), so it is listed, inspectable and prunable rather
 * than unreachable blobs. Written first: a crash between the two leaves
 * the old image its name and its id, listed by its name.
 */
async function keepUntagged(store: StoreAccess, name: string, configDigest: string): Promise<void> {
  const previous = await readRef(store.refsDir, name)
  if (previous === undefined || previous.configDigest === configDigest) return
  const refs = await listRefs(store.refsDir)
  if (refs.some((r) => r.name !== name && r.configDigest === previous.configDigest)) return
  const untagged: RefRecord = { name: previous.configDigest, manifestDigest: previous.manifestDigest, configDigest: previous.configDigest, updated: new Date().toISOString() }
  await writeRef(store.tmpDir, store.refsDir, untagged)
}

/**
 * Give the image `source` designates (a name, an id or id prefix) the name
 * `target` as well (`mini-run tag`): a new ref to the same manifest. A
 * target that names another image is moved, as in Docker.
 */
export async function tagImage(store: StoreAccess, source: string, target: string): Promise<RefRecord> {
  const [found] = await store.findRefs(source)
  if (!found) throw noImage(source)
  const parsed = parseReference(target)
  if (parsed.digest !== undefined) {
    throw new UsageError(`refusing to create a tag with a digest reference: ${target}`, { code: 'EBADREF' })
  }
  await store.setRef(parsed.name, found.manifestDigest)
  return (await readRef(store.refsDir, parsed.name))!
}

/**
 * The refs a user's reference designates: one for a name, all the names
 * of an image for an id or id prefix (Docker's "IMAGE ID", with or without
 * "sha256:"). Names win over ids, as in Docker.
 */
export async function findStoreRefs(store: StoreAccess, ref: string): Promise<RefRecord[]> {
  let parseError: unknown
  try {
    const parsed = parseReference(ref)
    const found = await readRef(store.refsDir, parsed.name)
    if (found) return [found]
    // repo@digest pulled under another name: the manifest itself is enough.
    if (parsed.digest && (await store.hasBlob(parsed.digest))) {
      const manifest = await store.getJson<ImageManifest>(parsed.digest)
      if (manifest.config && Array.isArray(manifest.layers)) {
        return [{ name: parsed.name, manifestDigest: parsed.digest, configDigest: manifest.config.digest, updated: '' }]
      }
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    parseError = err
  }
  const idMatch = /^(?:sha256:)?([a-f0-9]{1,64})$/.exec(ref)
  if (!idMatch) {
    if (parseError) throw parseError
    return []
  }
  const prefix = idMatch[1]!
  const refs = await listRefs(store.refsDir)
  const byConfig = refs.filter((r) => digestHex(r.configDigest).startsWith(prefix))
  const ids = new Set(byConfig.map((r) => r.configDigest))
  if (ids.size > 1) {
    throw new UsageError(`image id prefix ${JSON.stringify(ref)} is ambiguous: it matches ${ids.size} images`, { code: 'EAMBIGUOUS' })
  }
  if (byConfig.length > 0) return byConfig
  return refs.filter((r) => digestHex(r.manifestDigest).startsWith(prefix) && prefix.length >= 12)
}
