/**
 * What `system df` counts and `system prune` cleans, one resource per
 * store (all-resources.ts lists them; another store adds one line there).
 *
 * A resource reports its usage as numbers (the CLI formats them) and prunes
 * what nothing uses, reporting what it removed and the bytes that freed.
 */
import type { PruneFilter } from '../prune-filter.js'
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
  /** --filter: until, label, label! (prune-filter.ts), for each resource that has them. */
  filter?: PruneFilter
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
