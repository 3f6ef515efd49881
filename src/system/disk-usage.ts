/** `system df`: one row per resource, in Docker's order, zero rows for stores mini-run does not have yet. */
import { DOCKER_DF_TYPES, systemResources } from './all-resources.js'
import type { ResourceUsage, SystemContext } from './resources.js'

export async function systemDiskUsage(ctx: SystemContext): Promise<ResourceUsage[]> {
  const rows: ResourceUsage[] = []
  for (const resource of await systemResources()) {
    // Docker's rows only: a resource without one (networks) is for prune
    if ((DOCKER_DF_TYPES as readonly string[]).includes(resource.type)) rows.push(await resource.usage(ctx))
  }
  for (const type of DOCKER_DF_TYPES) {
    if (!rows.some((r) => r.type === type)) rows.push({ type, total: 0, active: 0, size: 0, reclaimable: 0 })
  }
  const rank = (type: string): number => {
    const i = (DOCKER_DF_TYPES as readonly string[]).indexOf(type)
    return i === -1 ? DOCKER_DF_TYPES.length : i
  }
  return rows.sort((a, b) => rank(a.type) - rank(b.type))
}
