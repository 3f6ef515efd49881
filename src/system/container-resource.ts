/** Containers in `system df` and `system prune`: their writable layers. */
import { join } from 'node:path'
import { listContainers, type ContainerInfo } from '../runtime/container/containers.js'
import { removeContainer } from '../runtime/container/remove-container.js'
import type { ResourcePruneResult, SystemContext, SystemResource, ResourceUsage } from './resources.js'
import { treeSize } from './tree-size.js'

/** Bytes a container wrote: its overlay's upper directory (Docker's SizeRw). */
export async function containerSize(c: ContainerInfo): Promise<number> {
  return c.containerDir ? treeSize(join(c.containerDir, 'upper')) : 0
}

/** Remove every container that is not running (`container prune`, `system prune`). */
export async function pruneContainers(stateRoot: string): Promise<{ removed: string[]; reclaimedBytes: number }> {
  const removed: string[] = []
  let reclaimedBytes = 0
  for (const c of listContainers(stateRoot)) {
    if (c.status === 'running') continue
    const size = await containerSize(c)
    await removeContainer(stateRoot, c, false)
    removed.push(c.id)
    reclaimedBytes += size
  }
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
  async prune(ctx: SystemContext): Promise<ResourcePruneResult> {
    const { removed, reclaimedBytes } = await pruneContainers(ctx.stateRoot)
    return { heading: 'Deleted Containers', removed, reclaimedBytes }
  },
}
