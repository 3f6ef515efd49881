/**
 * `system df -v`: the items behind each row of `system df` (disk-usage.ts),
 * as Docker's daemon lists them in its disk usage answer: images with their
 * shared and unique sizes and how many containers use them, containers
 * with their writable layers, volumes with their links, the build cache's
 * records.
 */
import { listContainers, type ContainerInfo } from '../runtime/container/containers.js'
import { listVolumes, type VolumeInfo } from '../runtime/container/volume-store.js'
import { buildCacheRecords, type BuildCacheRecord } from './build-cache-resource.js'
import { containerSize } from './container-resource.js'
import type { SystemContext } from './resources.js'
import { treeSize } from './tree-size.js'

export interface ImageDiskUsage {
  configDigest: string
  /** Its names, sorted (refs by digest included). */
  names: string[]
  created?: string
  /** Its layers' content, as `images` shows it. */
  size: number
  /** The part of size in layers another image has too. */
  sharedSize: number
  containers: number
}

export interface DiskUsageDetails {
  images: ImageDiskUsage[]
  containers: Array<{ container: ContainerInfo; size: number }>
  volumes: Array<{ volume: VolumeInfo; links: number; size: number }>
  buildCache: BuildCacheRecord[]
  /** The Build Cache row's size (its records' and the layers no record has). */
  buildCacheSize: number
}

export async function systemDiskUsageDetails(ctx: SystemContext): Promise<DiskUsageDetails> {
  const store = ctx.store
  const byConfig = new Map<string, ImageDiskUsage & { chainIds: string[] }>()
  for (const summary of await store.list()) {
    const known = byConfig.get(summary.configDigest)
    if (known) {
      known.names.push(summary.name)
      continue
    }
    const image = await store.loadImage(summary.name, summary.manifestDigest).catch(() => undefined)
    if (!image) continue
    byConfig.set(summary.configDigest, {
      configDigest: summary.configDigest,
      names: [summary.name],
      ...(summary.created !== undefined && { created: summary.created }),
      size: summary.size,
      sharedSize: 0,
      containers: 0,
      chainIds: image.chainIds,
    })
  }
  const images = [...byConfig.values()]
  const holders = new Map<string, number>()
  for (const i of images) for (const c of new Set(i.chainIds)) holders.set(c, (holders.get(c) ?? 0) + 1)
  for (const i of images) {
    for (const c of new Set(i.chainIds)) if ((holders.get(c) ?? 0) > 1) i.sharedSize += await store.getLayer(c).then((r) => r.size, () => 0)
  }
  const containers = listContainers(ctx.stateRoot)
  // a container's image is the one whose top layer it runs on (image-resource.ts imagesInUse)
  for (const c of containers) {
    const chain = Array.isArray(c.chainIds) ? c.chainIds : undefined
    const top = chain?.at(-1)
    const image = top !== undefined ? images.find((i) => i.chainIds.at(-1) === top) : images.find((i) => c.image !== undefined && i.names.includes(c.image))
    if (image) image.containers++
  }
  const links = new Map<string, number>()
  for (const c of containers) for (const v of c.volumes ?? []) links.set(v.name, (links.get(v.name) ?? 0) + 1)
  const volumes = []
  for (const volume of listVolumes(store.root)) volumes.push({ volume, links: links.get(volume.name) ?? 0, size: await treeSize(volume.mountpoint) })
  const sized = []
  for (const container of containers) sized.push({ container, size: await containerSize(container) })
  const { records, unrecordedBytes } = await buildCacheRecords(ctx)
  return {
    images: images.map(({ chainIds: _, ...i }) => ({ ...i, names: i.names.sort() })),
    containers: sized,
    volumes,
    buildCache: records,
    buildCacheSize: records.reduce((n, r) => n + r.size, unrecordedBytes),
  }
}
