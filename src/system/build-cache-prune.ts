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
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { pruneEvent } from '../events/resource-events.js'
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

/**
 * builder prune's options beyond -a, as BuildKit's prune takes them: a
 * record is a cached step (its entry, and its layer when only the cache has
 * it) or a cache mount, and its last use is its file's mtime (a cache hit
 * or a RUN that mounts it touches it).
 */
export interface BuildCachePruneOptions {
  all: boolean
  /** --filter until=D: only the records last used more than this many ms ago. */
  unusedForMs?: number
  /** --keep-storage: least recently used first, stop once the cache holds at most this many bytes. */
  keepBytes?: number
  now?: number
}

interface PruneCandidate {
  lastUsed: number
  /** As `system df` counts it (build-cache-resource.ts). */
  bytes: number
  remove(): Promise<void>
}

export async function pruneBuildCache(ctx: SystemContext, opts: BuildCachePruneOptions): Promise<BuildCachePruneResult> {
  const store = ctx.store
  await store.init()
  const trash: string[] = []
  const now = opts.now ?? Date.now()
  const oldEnough = (lastUsed: number) => opts.unusedForMs === undefined || lastUsed <= now - opts.unusedForMs
  const held: number[] = []
  try {
    const pruned = await withGcLock(store.root, 'exclusive', async () => {
      const result: BuildCachePruneResult = { removed: [], reclaimedBytes: 0 }
      const leased = leasedDigests(store.root)
      const images = (await liveSet(store, { imagesOnly: true })).layers
      // read now, under the lock: a container created just before counts
      const containers = await layersInUse(ctx.stateRoot, (ref) => store.resolve(ref))
      const entries = listCacheEntries(store.root)
      const kept = new Set<string>()
      const candidates = new Set<string>()
      const layerBytes = async (chainId: string): Promise<number> =>
        (await store.getLayer(chainId).then((r) => r.size, () => 0)) + (await stat(store.layerBlobPath(chainId)).then((st) => st.size, () => 0))
      const counted = new Set<string>()
      let total = 0
      const records: PruneCandidate[] = []
      for (const entry of entries) {
        const top = entry.chainIds.at(-1)
        let bytes = entry.bytes
        if (top !== undefined && !images.has(top) && !containers.has(top) && !counted.has(top)) {
          counted.add(top)
          bytes += await layerBytes(top)
        }
        total += bytes
        const active = top !== undefined && leased.has(top)
        const shared = entry.chainIds.every((c) => images.has(c))
        const complete = entry.chainIds.every((c) => existsSync(join(store.layerPath(c), 'layer.json')))
        if (active || (!opts.all && shared && complete) || !oldEnough(entry.lastUsed)) {
          kept.add(entry.path)
          continue
        }
        records.push({
          lastUsed: entry.lastUsed,
          bytes,
          remove: async () => {
            if (!(await moveToTrash(store, entry.path, trash))) return
            result.removed.push(basename(entry.path, '.json'))
            result.reclaimedBytes += entry.bytes
            for (const c of entry.chainIds) candidates.add(c)
          },
        })
      }
      for (const dir of listCacheMounts(store.root)) {
        const bytes = await treeSize(dir)
        total += bytes
        const lastUsed = await stat(dir).then((st) => st.mtimeMs, () => 0)
        if (!oldEnough(lastUsed)) continue
        const fd = lockIdleCacheMount(dir)
        if (typeof fd !== 'number') continue
        held.push(fd)
        records.push({
          lastUsed,
          bytes,
          remove: async () => {
            if (!(await moveToTrash(store, dir, trash))) return
            result.removed.push(basename(dir))
            result.reclaimedBytes += bytes
          },
        })
      }
      // --keep-storage: the least recently used first, until what stays fits
      if (opts.keepBytes !== undefined) records.sort((a, b) => a.lastUsed - b.lastUsed)
      for (const record of records) {
        if (opts.keepBytes !== undefined && total <= opts.keepBytes) break
        await record.remove()
        total -= record.bytes
      }
      // what is not a readable entry is garbage of the cache
      const stepsDir = buildCacheDirs(store.root).steps
      for (const name of readdirOrEmpty(stepsDir)) {
        const path = join(stepsDir, name)
        if (kept.has(path) || entries.some((e) => e.path === path)) continue
        if (await moveToTrash(store, path, trash)) result.removed.push(basename(name, '.json'))
      }
      const stillCached = new Set(listCacheEntries(store.root).flatMap((e) => e.chainIds))
      for (const chainId of candidates) {
        if (images.has(chainId) || stillCached.has(chainId) || containers.has(chainId) || leased.has(chainId)) continue
        const size = await removeLayer(store, chainId, trash)
        if (size !== undefined) result.reclaimedBytes += size
      }
      return result
    })
    // Docker's daemon logs a builder prune as it does the other prunes (builder backend's PruneCache)
    pruneEvent(ctx.stateRoot, 'builder', pruned.reclaimedBytes)
    return pruned
  } finally {
    for (const fd of held) closeSync(fd)
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
