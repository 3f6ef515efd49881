/**
 * What `system df` counts and `system prune` cleans, one resource per
 * store: images and containers here; networks, volumes and the build cache
 * in their own modules, each added to PLUGINS below with one line.
 *
 * A resource reports its usage as numbers (the CLI formats them) and prunes
 * what nothing uses, reporting what it removed and the bytes that freed.
 */
import type { ImageStore } from '../image/store.js'

export interface SystemContext {
  store: ImageStore
  /** The runtime state directory (containers). */
  stateRoot: string
}

export interface ResourceUsage {
  /** Docker's TYPE column: "Images", "Containers", "Local Volumes", "Build Cache". */
  type: string
  total: number
  /** In use: running containers, images or volumes containers use. */
  active: number
  /** Bytes on disk. */
  size: number
  /** Bytes a prune (with -a, --volumes) would free. */
  reclaimable: number
}

export interface SystemPruneOptions {
  /** -a: every unused image, not only untagged ones (and, for the build cache, all of it). */
  all: boolean
  /** --volumes: unused volumes too. */
  volumes: boolean
}

export interface ResourcePruneResult {
  /** Docker's heading for the list: "Deleted Containers", "Deleted Networks". */
  heading: string
  /** One line each: ids, or Docker's "untagged: NAME" / "deleted: DIGEST" for images. */
  removed: string[]
  reclaimedBytes: number
}

export interface SystemResource {
  /** The row of `system df`. */
  type: string
  /**
   * Where it comes in a prune: containers 10 (first, so that what they held
   * becomes unused), networks 20, volumes 30, images 40, build cache 50.
   */
  order: number
  /** The line of `system prune`'s warning ("all stopped containers"), or undefined when these options leave it alone. */
  warning(opts: SystemPruneOptions): string | undefined
  usage(ctx: SystemContext): Promise<ResourceUsage>
  prune(ctx: SystemContext, opts: SystemPruneOptions): Promise<ResourcePruneResult>
}

/**
 * The stores other parts of mini-run add, loaded only when `system df` or
 * `system prune` runs. Add one line per store, e.g.
 *   () => import('../network/network-resource.js').then((m) => m.networkResource),
 */
const PLUGINS: Array<() => Promise<SystemResource>> = []

/** The rows Docker always prints, even when mini-run has no such store yet. */
export const DOCKER_DF_TYPES = ['Images', 'Containers', 'Local Volumes', 'Build Cache'] as const

export async function systemResources(): Promise<SystemResource[]> {
  const [{ containerResource }, { imageResource }] = await Promise.all([import('./container-resource.js'), import('./image-resource.js')])
  const plugins = await Promise.all(PLUGINS.map((load) => load()))
  return [containerResource, imageResource, ...plugins].sort((a, b) => a.order - b.order)
}
