/**
 * `system prune`: every resource's prune, in order (containers first, so
 * that what only they used is unused by the time images are pruned).
 */
import { systemResources } from './all-resources.js'
import type { ResourcePruneResult, SystemContext, SystemPruneOptions } from './resources.js'

export interface SystemPruneResult {
  results: ResourcePruneResult[]
  reclaimedBytes: number
}

/** The lines of the warning a prune with these options prints before it asks. */
export async function systemPruneWarnings(opts: SystemPruneOptions): Promise<string[]> {
  return (await systemResources()).map((r) => r.warning(opts)).filter((w): w is string => w !== undefined)
}

export async function systemPrune(ctx: SystemContext, opts: SystemPruneOptions): Promise<SystemPruneResult> {
  const results: ResourcePruneResult[] = []
  for (const resource of await systemResources()) {
    if (resource.warning(opts) === undefined) continue
    results.push(await resource.prune(ctx, opts))
  }
  return { results, reclaimedBytes: results.reduce((n, r) => n + r.reclaimedBytes, 0) }
}
