/**
 * Removing the build cache: `builder prune` and the build cache's step of
 * `system prune` (build-cache-resource.ts). `image prune` and `rmi` never
 * touch it (store-gc.ts keeps the layers entries need), as BuildKit's
 * cache is not images in Docker 23+.
 *
 * What goes follows BuildKit's cache manager prune: without `all`, a record
 * an image shares is kept ("dangling" cache goes: the entries whose result
 * no image has, an intermediate stage's or an untagged build's, entries
 * missing a layer, and the RUN --mount=type=cache directories); with `all`,
 * every entry. Never what a running build uses: an entry whose layer its
 * lease holds, a cache mount one of its RUNs has locked. Then the layers
 * of the removed entries that nothing else needs (no image, no remaining
 * entry, no container, no lease) go too.
 *
 * As image prune, under the store's exclusive GC lock: what it removes is
 * renamed into tmp/ there, and deleted after the lock is released.
 */
import { closeSync, constants, existsSync, openSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { buildCacheDirs, listCacheEntries, listCacheMounts } from '../image/build-cache-index.js'
import { liveSet, moveToTrash, removeLayer } from '../image/store-gc.js'
import { leasedDigests } from '../image/store-lease.js'
import { withGcLock } from '../image/store-locks.js'
import { removeTree } from '../image/store-tmp.js'
import * as lockCalls from '../native/lock-calls.js'
import { layersInUse } from '../runtime/container/containers.js'
import type { SystemContext } from './resources.js'
import { treeSize } from './tree-size.js'

export interface BuildCachePruneResult {
  /** Docker's "Deleted build cache objects": entries by their key's hex, cache mounts by their directory's name. */
  removed: string[]
  reclaimedBytes: number
}

/**
 * The cache mount's directory, open and flocked exclusively, or 'busy' when
 * a RUN uses it: a RUN holds its flock for as long as it runs
 * (run-command-step.ts), exclusive, or shared with sharing=shared. Holding
 * it keeps a RUN from taking the directory while it is removed.
 */
export function lockIdleCacheMount(dir: string): number | 'busy' | 'gone' {
  let fd: number
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  } catch {
    return 'gone'
  }
  let locked = false
  try {
    locked = lockCalls.tryFlock(fd, 'exclusive')
  } finally {
    if (!locked) closeSync(fd)
  }
  return locked ? fd : 'busy'
}

export async function pruneBuildCache(ctx: SystemContext, opts: { all: boolean }): Promise<BuildCachePruneResult> {
  const store = ctx.store
  await store.init()
  const trash: string[] = []
  try {
    return await withGcLock(store.root, 'exclusive', async () => {
      const result: BuildCachePruneResult = { removed: [], reclaimedBytes: 0 }
      const leased = leasedDigests(store.root)
      const images = (await liveSet(store, { imagesOnly: true })).layers
      const entries = listCacheEntries(store.root)
      const kept = new Set<string>()
      const candidates = new Set<string>()
      for (const entry of entries) {
        const top = entry.chainIds.at(-1)
        const active = top !== undefined && leased.has(top)
        const shared = entry.chainIds.every((c) => images.has(c))
        const complete = entry.chainIds.every((c) => existsSync(join(store.layerPath(c), 'layer.json')))
        if (active || (!opts.all && shared && complete)) {
          kept.add(entry.path)
          continue
        }
        if (!(await moveToTrash(store, entry.path, trash))) continue
        result.removed.push(basename(entry.path, '.json'))
        result.reclaimedBytes += entry.bytes
        for (const c of entry.chainIds) candidates.add(c)
      }
      // what is not a readable entry is garbage of the cache
      const stepsDir = buildCacheDirs(store.root).steps
      for (const name of readdirOrEmpty(stepsDir)) {
        const path = join(stepsDir, name)
        if (kept.has(path) || entries.some((e) => e.path === path)) continue
        if (await moveToTrash(store, path, trash)) result.removed.push(basename(name, '.json'))
      }
      const needed = new Set(entries.filter((e) => kept.has(e.path)).flatMap((e) => e.chainIds))
      // read now, under the lock: a container created just before counts
      const containers = await layersInUse(ctx.stateRoot, (ref) => store.resolve(ref))
      for (const chainId of candidates) {
        if (images.has(chainId) || needed.has(chainId) || containers.has(chainId) || leased.has(chainId)) continue
        const size = await removeLayer(store, chainId, trash)
        if (size !== undefined) result.reclaimedBytes += size
      }
      for (const dir of listCacheMounts(store.root)) {
        const fd = lockIdleCacheMount(dir)
        if (typeof fd !== 'number') continue
        try {
          const bytes = await treeSize(dir)
          if (!(await moveToTrash(store, dir, trash))) continue
          result.removed.push(basename(dir))
          result.reclaimedBytes += bytes
        } finally {
          closeSync(fd)
        }
      }
      return result
    })
  } finally {
    for (const path of trash) await removeTree(path)
  }
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
