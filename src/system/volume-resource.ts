/**
 * Volumes in `system df` and `system prune --volumes`. As Docker 23+'s,
 * system prune removes only the anonymous volumes no container uses (what
 * `volume prune` without -a removes); named ones need `volume prune -a`.
 */
import { listContainers } from '../runtime/container/containers.js'
import { listVolumes, pruneVolumes, type VolumeInfo } from '../runtime/container/volume-store.js'
import type { ResourcePruneResult, ResourceUsage, SystemContext, SystemPruneOptions, SystemResource } from './resources.js'
import { treeSize } from './tree-size.js'
import { pruneEvent, volumeEvent } from '../events/resource-events.js'

/**
 * `volume prune`: the unused anonymous volumes (every unused one with all)
 * that `only` keeps, and the bytes they held; their events in stateRoot's log.
 */
export async function pruneVolumesMeasured(
  storeRoot: string,
  stateRoot: string,
  o: { all: boolean; only?: (v: VolumeInfo) => boolean },
): Promise<{ removed: string[]; reclaimedBytes: number }> {
  // measured before: what goes is gone after. A volume written meanwhile
  // is off by what was written, as Docker's (it measures, then removes)
  const sizes = new Map<string, number>()
  for (const v of listVolumes(storeRoot)) if ((v.anonymous || o.all) && (!o.only || o.only(v))) sizes.set(v.name, await treeSize(v.mountpoint))
  const removed = pruneVolumes(storeRoot, o)
  const reclaimedBytes = removed.reduce((n, name) => n + (sizes.get(name) ?? 0), 0)
  // Docker's destroy of each (volume/service/store.go Remove), then the prune's own event
  for (const name of removed) volumeEvent(stateRoot, 'destroy', name)
  pruneEvent(stateRoot, 'volume', reclaimedBytes)
  return { removed, reclaimedBytes }
}

/** system prune --volumes: the unused anonymous volumes, of --filter's labels (its until is refused before: Docker's volume prune has none). */
export async function pruneUnusedVolumes(ctx: SystemContext, opts: Pick<SystemPruneOptions, 'filter'> = {}): Promise<ResourcePruneResult> {
  const labels = opts.filter?.labels
  return { heading: 'Deleted Volumes', ...(await pruneVolumesMeasured(ctx.store.root, ctx.stateRoot, { all: false, ...(labels && { only: (v: VolumeInfo) => labels(v.labels ?? {}) }) })) }
}

/**
 * Docker's row: active are the volumes a container has (running or not:
 * its RefCount), reclaimable the others' bytes, named ones too. Who has a
 * volume is read from the containers' states, without the volumes lock
 * that the claims need: df takes no lock.
 */
export async function volumeUsage(ctx: SystemContext): Promise<ResourceUsage> {
  const used = new Set(listContainers(ctx.stateRoot).flatMap((c) => (c.volumes ?? []).map((v) => v.name)))
  const usage: ResourceUsage = { type: 'Local Volumes', total: 0, active: 0, size: 0, reclaimable: 0 }
  for (const v of listVolumes(ctx.store.root)) {
    const size = await treeSize(v.mountpoint)
    usage.total++
    usage.size += size
    if (used.has(v.name)) usage.active++
    else usage.reclaimable += size
  }
  return usage
}

export const volumeResource: SystemResource = {
  type: 'Local Volumes',
  order: 30,
  warning: (opts: SystemPruneOptions) => (opts.volumes ? 'all anonymous volumes not used by at least one container' : undefined),
  usage: volumeUsage,
  prune: pruneUnusedVolumes,
}
