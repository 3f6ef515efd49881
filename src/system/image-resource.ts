/**
 * Images in `system df` and `system prune`. Sizes are the images' content,
 * as `images` shows them (each layer's unpacked size, as Docker's image
 * Size): Docker's df SIZE is its LayersSize, every layer counted once
 * however many images share it. The compressed blobs kept for push and
 * save, and the manifests and configs, are not counted, as Docker's are
 * not (`system prune` reports the bytes on disk it frees). Reclaimable is
 * the content of the layers no image a container uses has.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isDigest } from '../image/digest.js'
import { familiarName } from '../image/reference.js'
import { listRefs } from '../image/refs.js'
import type { ImageStore } from '../image/store.js'
import type { ResolvedImage } from '../image/store-types.js'
import { imageSelects } from '../prune-filter.js'
import { pruneStore } from '../image/store-gc.js'
import { staleTmpEntries } from '../image/store-tmp.js'
import { layersInUse, listContainers } from '../runtime/container/containers.js'
import type { ResourcePruneResult, ResourceUsage, SystemContext, SystemPruneOptions, SystemResource } from './resources.js'
import { treeSize } from './tree-size.js'
import { imageRemovalEvents, pruneEvent } from '../events/resource-events.js'
import { cacheOnlyLayers } from './build-cache-resource.js'

interface StoredImage {
  configDigest: string
  manifestDigest: string
  chainIds: string[]
}

async function storedImages(store: ImageStore): Promise<StoredImage[]> {
  const out: StoredImage[] = []
  for (const ref of await listRefs(store.refsDir)) {
    try {
      const image = await store.loadImage(ref.name, ref.manifestDigest)
      out.push({ configDigest: image.configDigest, manifestDigest: image.manifestDigest, chainIds: image.chainIds })
    } catch {
      // being removed, or incomplete: not an image to count
    }
  }
  return out
}

/** Top layers of the images containers run (the state records their layers; an old one only the image's name). */
export async function imagesInUse(ctx: SystemContext): Promise<Set<string>> {
  const tops = new Set<string>()
  for (const c of listContainers(ctx.stateRoot)) {
    const chain = Array.isArray(c.chainIds) ? c.chainIds : c.image ? (await ctx.store.resolve(c.image).catch(() => undefined))?.chainIds : undefined
    const top = chain?.at(-1)
    if (top !== undefined) tops.add(top)
  }
  return tops
}

export async function imageUsage(ctx: SystemContext): Promise<ResourceUsage> {
  const store = ctx.store
  const images = await storedImages(store)
  const tops = await imagesInUse(ctx)
  // every layer of the store counts, one no image names too (Docker's
  // LayersSize: prune -a frees it); but for the layers only the build
  // cache needs, its row's (build-cache-resource.ts)
  const cacheOnly = await cacheOnlyLayers(ctx)
  const layerBytes = new Map<string, number>()
  for (const hex of await readdir(store.layersDir).catch(() => [] as string[])) {
    const chainId = `sha256:${hex}`
    if (!isDigest(chainId) || cacheOnly.has(chainId)) continue
    layerBytes.set(chainId, await store.getLayer(chainId).then((r) => r.size, () => 0))
  }
  const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0)
  const size = sum(layerBytes.values())
  const active = images.filter((i) => tops.has(i.chainIds.at(-1) ?? ''))
  // a container's layers stay even when its image lost its names
  const usedLayers = new Set([...active.flatMap((i) => i.chainIds), ...(await layersInUse(ctx.stateRoot, (ref) => store.resolve(ref)))])
  const used = sum([...usedLayers].map((c) => layerBytes.get(c) ?? 0))
  return {
    type: 'Images',
    total: new Set(images.map((i) => i.configDigest)).size,
    active: new Set(active.map((i) => i.configDigest)).size,
    size,
    reclaimable: size - used,
  }
}

export async function pruneImages(ctx: SystemContext, opts: Pick<SystemPruneOptions, 'all' | 'filter'>): Promise<ResourcePruneResult> {
  const store = ctx.store
  // what killed processes left in tmp/ goes too (store.init removes it): count it first
  const stale = await staleTmpEntries(store.tmpDir)
  let tmpBytes = 0
  for (const name of stale) tmpBytes += await treeSize(join(store.tmpDir, name))
  // read under the store's GC lock: a container made meanwhile counts (store-gc.ts)
  const inUse = () => layersInUse(ctx.stateRoot, (ref) => store.resolve(ref))
  const filter = opts.filter
  // images of the filter's time and labels alone (one without a config's labels has none: label= spares it)
  const select = filter && ((image: ResolvedImage) => imageSelects(filter, image.config.created, image.config.config?.Labels))
  const result = await pruneStore(store, { inUse, all: opts.all, usedImages: () => imagesInUse(ctx), ...(select && { select }) })
  imageRemovalEvents(ctx.stateRoot, result.untaggedImages, result.deletedBlobs)
  pruneEvent(ctx.stateRoot, 'image', result.reclaimedBytes + tmpBytes)
  return {
    heading: 'Deleted Images',
    removed: [
      // an untagged image's ref is named by its id: Docker lists only its deletion; a name as Docker says it (alpine:latest)
      ...result.untagged.filter((n) => !isDigest(n)).map((n) => `untagged: ${familiarName(n)}`),
      ...result.deletedLayers.map((d) => `deleted: ${d}`),
      ...result.deletedBlobs.map((d) => `deleted: ${d}`),
    ],
    reclaimedBytes: result.reclaimedBytes + tmpBytes,
  }
}

export const imageResource: SystemResource = {
  type: 'Images',
  order: 40,
  warning: (opts) => (opts.all ? 'all images without at least one container associated to them' : 'all dangling images'),
  usage: imageUsage,
  prune: pruneImages,
}
