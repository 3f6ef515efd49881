/** Containers in `system df` and `system prune`: their writable layers. */
import { listContainers, type ContainerInfo } from '../runtime/container/containers.js'
import { containerSize as sizes } from '../runtime/container/container-size.js'
import { removeContainer } from '../runtime/container/remove-container.js'
import { pruneEvent } from '../events/resource-events.js'
import type { ResourcePruneResult, SystemContext, SystemPruneOptions, SystemResource, ResourceUsage } from './resources.js'
import { pruneSelects, type PruneFilter } from '../prune-filter.js'

/** Bytes a container wrote: its overlay's upper directory (Docker's SizeRw). */
export async function containerSize(c: ContainerInfo): Promise<number> {
  return sizes(c, '').rw
}

/**
 * Remove every container that is neither running nor waiting to restart
 * (`container prune`, `system prune`), of those `filter` selects (created
 * before its until, its labels); Docker's prune event last.
 */
export async function pruneContainers(stateRoot: string, storeRoot?: string, filter?: PruneFilter): Promise<{ removed: string[]; reclaimedBytes: number }> {
  const removed: string[] = []
  let reclaimedBytes = 0
  for (const c of listContainers(stateRoot)) {
    if (c.status === 'running' || c.restarting || !pruneSelects(filter, c.created, c.labels)) continue
    const size = await containerSize(c)
    await removeContainer(stateRoot, c, false, storeRoot !== undefined ? { storeRoot } : {})
    removed.push(c.id)
    reclaimedBytes += size
  }
  pruneEvent(stateRoot, 'container', reclaimedBytes)
  return { removed, reclaimedBytes }
}

export const containerResource: SystemResource = {
  type: 'Containers',
  order: 10,
  warning: () => 'all stopped containers',
  async usage(ctx: SystemContext): Promise<ResourceUsage> {
    const usage: ResourceUsage = { type: 'Containers', total: 0, active: 0, size: 0, reclaimable: 0 }
    for (const c of listContainers(ctx.stateRoot)) {
      const size = await containerSize(c)
      usage.total++
      usage.size += size
      if (c.status === 'running') usage.active++
      else usage.reclaimable += size
    }
    return usage
  },
  async prune(ctx: SystemContext, opts: SystemPruneOptions): Promise<ResourcePruneResult> {
    const { removed, reclaimedBytes } = await pruneContainers(ctx.stateRoot, undefined, opts.filter)
    return { heading: 'Deleted Containers', removed, reclaimedBytes }
  },
}
