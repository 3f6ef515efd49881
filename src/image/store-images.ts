/**
 * Reading whole images out of the store: an image by manifest digest,
 * checked complete down to its last layer, and the list of named images
 * with their sizes. Apart from store.ts because it reads manifests and
 * configs as images, where the store core only knows blobs and layers. The
 * ImageStore methods loadImage and list call these.
 */
import { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import { chainIds as computeChainIds, isDigest } from './digest.js'
import { IMAGE_MANIFEST_TYPES, type ImageConfig, type ImageManifest } from './oci.js'
import { familiarRepository, parseReference } from './reference.js'
import { listRefs } from './refs.js'
import type { ImageSummary, ResolvedImage, StoreAccess } from './store-types.js'
import { textOrder } from '../text-order.js'

/**
 * An image by manifest digest, checked complete; `name` is only for messages
 * and the result. `layers: false` leaves the layers to the caller, which
 * reads each one's record anyway (listImages: a stat less per layer).
 */
export async function loadStoreImage(store: StoreAccess, name: string, manifestDigest: string, o: { layers?: boolean } = {}): Promise<ResolvedImage> {
  const incomplete = (what: string, cause?: unknown): MiniRunError =>
    new MiniRunError(`image ${name} (${manifestDigest}) is incomplete: ${what}; pull or load it again`, {
      code: 'EINCOMPLETE',
      cause,
    })
  // read at once, not after a stat: ENOBLOB says the same (`images` reads two per image)
  const blob = async <T>(digest: string, what: string): Promise<T> => {
    try {
      return await store.getJson<T>(digest)
    } catch (err) {
      if ((err as MiniRunError).code === 'ENOBLOB') throw incomplete(`${what} ${digest} missing`, err)
      throw err
    }
  }
  const manifest = await blob<ImageManifest>(manifestDigest, 'manifest')
  if (manifest.mediaType !== undefined && !IMAGE_MANIFEST_TYPES.has(manifest.mediaType)) {
    throw new MiniRunError(`${manifestDigest} is a ${manifest.mediaType}, not an image manifest`, { code: 'EBADMANIFEST' })
  }
  if (!manifest.config || !isDigest(manifest.config.digest) || !Array.isArray(manifest.layers)) {
    throw new MiniRunError(`manifest ${manifestDigest} has no config or layers`, { code: 'EBADMANIFEST' })
  }
  const configDigest = manifest.config.digest
  const config = await blob<ImageConfig>(configDigest, 'config')
  const diffIds = config.rootfs?.diff_ids
  if (!Array.isArray(diffIds) || diffIds.length !== manifest.layers.length) {
    throw new MiniRunError(
      `image ${name}: config ${configDigest} lists ${diffIds?.length ?? 0} diff_ids for ${manifest.layers.length} layers`,
      { code: 'EBADMANIFEST' },
    )
  }
  const chainIds = computeChainIds(diffIds)
  for (const chainId of o.layers === false ? [] : chainIds) {
    if (!(await store.hasLayer(chainId))) throw incomplete(`layer ${chainId} missing`)
  }
  return {
    name,
    manifestDigest,
    configDigest,
    config,
    manifest,
    chainIds,
    layerDirs: chainIds.map((c) => store.layerFsPath(c)),
  }
}

/** Every named image (and untagged one), sorted by name. */
export async function listImages(store: StoreAccess): Promise<ImageSummary[]> {
  const out: ImageSummary[] = []
  for (const ref of await listRefs(store.refsDir)) {
    let image: ResolvedImage
    let size = 0
    try {
      image = await loadStoreImage(store, ref.name, ref.manifestDigest, { layers: false })
      for (const chainId of image.chainIds) size += (await store.getLayer(chainId)).size
    } catch (err) {
      // a ref whose image is being removed by another process
      getLogger().debug({ err, ref: ref.name }, 'skipping incomplete image')
      continue
    }
    const summary: ImageSummary = {
      name: ref.name,
      manifestDigest: ref.manifestDigest,
      configDigest: ref.configDigest,
      ...(image.config.created !== undefined && { created: image.config.created }),
      ...(ref.repoDigest !== undefined && { repoDigest: ref.repoDigest }),
      size,
    }
    if (!isDigest(ref.name)) {
      const parsed = parseReference(ref.name)
      summary.repository = parsed.repository
      summary.familiarRepository = familiarRepository(parsed.repository)
      if (parsed.tag !== undefined) summary.tag = parsed.tag
      if (parsed.digest !== undefined) summary.digest = parsed.digest
    }
    out.push(summary)
  }
  return out.sort((a, b) => textOrder(a.name, b.name))
}
