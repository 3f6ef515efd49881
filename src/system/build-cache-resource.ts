/**
 * The build cache in `system df` (build-cache-index.ts says what it holds).
 * As Docker's Build Cache row: one record per cached step and per
 * RUN --mount=type=cache directory; a record's size is what only the cache
 * holds (a step's layer that an image also has counts under Images, as a
 * BuildKit record shared with an image counts once); active records are
 * those a running build uses. Sizes are stats (layer.json's recorded size,
 * the cache mounts' files), never reads of content.
 */
import { stat } from 'node:fs/promises'
import { closeSync } from 'node:fs'
import { basename } from 'node:path'
import { listCacheEntries, listCacheMounts } from '../image/build-cache-index.js'
import { listRefs } from '../image/refs.js'
import { leasedDigests } from '../image/store-lease.js'
import { layersInUse } from '../runtime/container/containers.js'
import { lockIdleCacheMount, pruneBuildCache } from './build-cache-prune.js'
import type { ResourcePruneResult, ResourceUsage, SystemContext, SystemPruneOptions, SystemResource } from './resources.js'
import { treeSize } from './tree-size.js'

/** The layers only build cache entries need: no image has them and no container uses them. */
export async function cacheOnlyLayers(ctx: SystemContext): Promise<Set<string>> {
  const wanted = new Set(listCacheEntries(ctx.store.root).flatMap((e) => e.chainIds))
  if (wanted.size === 0) return wanted
  for (const ref of await listRefs(ctx.store.refsDir)) {
    const image = await ctx.store.loadImage(ref.name, ref.manifestDigest).catch(() => undefined)
    for (const c of image?.chainIds ?? []) wanted.delete(c)
  }
  for (const c of await layersInUse(ctx.stateRoot, (r) => ctx.store.resolve(r))) wanted.delete(c)
  return wanted
}

/** A RUN holds its cache mount's flock (run-command-step.ts), shared or exclusive. */
function mountInUse(dir: string): boolean {
  const fd = lockIdleCacheMount(dir)
  if (typeof fd === 'number') closeSync(fd)
  return fd === 'busy'
}

/** One record of the cache, as a BuildKit record in `system df -v`. */
export interface BuildCacheRecord {
  /** Its file's or directory's name. */
  id: string
  /** BuildKit's record types: a step's result, or a RUN --mount=type=cache directory. */
  type: 'regular' | 'exec.cachemount'
  size: number
  /** A running build uses it. */
  inUse: boolean
  /** Its layer is an image's too (counted there): BuildKit's Shared. */
  shared: boolean
  /** ms */
  created: number
  lastUsed: number
}

/** The records, and the bytes of the cache's layers no record has on top (its own entry dropped). */
export async function buildCacheRecords(ctx: SystemContext): Promise<{ records: BuildCacheRecord[]; unrecordedBytes: number }> {
  const store = ctx.store
  const cacheOnly = await cacheOnlyLayers(ctx)
  // lock-free: a dead build's lease is skipped here, removed by the next prune
  const leased = leasedDigests(store.root, { removeStale: false })
  const counted = new Set<string>()
  // its content and the blob kept for push and save: the bytes a prune
  // frees, which builder prune --keep-storage weighs (build-cache-prune.ts)
  const layerBytes = async (chainId: string): Promise<number> =>
    (await store.getLayer(chainId).then((r) => r.size, () => 0)) + (await stat(store.layerBlobPath(chainId)).then((s) => s.size, () => 0))
  const times = (path: string) => stat(path).then((s) => ({ created: s.birthtimeMs || s.ctimeMs, lastUsed: s.mtimeMs }), () => ({ created: 0, lastUsed: 0 }))
  const records: BuildCacheRecord[] = []
  for (const entry of listCacheEntries(store.root)) {
    // the step's own layer (its top); a step that made none (ENV) shares its parent's, counted once
    const top = entry.chainIds.at(-1)
    let bytes = entry.bytes
    if (top !== undefined && cacheOnly.has(top) && !counted.has(top)) {
      counted.add(top)
      bytes += await layerBytes(top)
    }
    const { created } = await times(entry.path)
    records.push({ id: basename(entry.path), type: 'regular', size: bytes, inUse: top !== undefined && leased.has(top), shared: top !== undefined && !cacheOnly.has(top), created, lastUsed: entry.lastUsed })
  }
  for (const dir of listCacheMounts(store.root)) {
    records.push({ id: basename(dir), type: 'exec.cachemount', size: await treeSize(dir), inUse: mountInUse(dir), shared: false, ...(await times(dir)) })
  }
  let unrecordedBytes = 0
  for (const chainId of cacheOnly) if (!counted.has(chainId)) unrecordedBytes += await layerBytes(chainId)
  return { records, unrecordedBytes }
}

export async function buildCacheUsage(ctx: SystemContext): Promise<ResourceUsage> {
  const usage: ResourceUsage = { type: 'Build Cache', total: 0, active: 0, size: 0, reclaimable: 0 }
  const { records, unrecordedBytes } = await buildCacheRecords(ctx)
  for (const r of records) {
    usage.total++
    usage.size += r.size
    if (r.inUse) usage.active++
    else usage.reclaimable += r.size
  }
  // a layer of the cache no entry has on top: bytes, but no record
  usage.size += unrecordedBytes
  usage.reclaimable += unrecordedBytes
  return usage
}

/**
 * system prune's step: as Docker's, what `builder prune` removes, all of it
 * with -a; with --filter until, only what was last used before then (its
 * label filters select nothing here: Docker's builder takes and ignores them).
 */
async function pruneCache(ctx: SystemContext, opts: SystemPruneOptions): Promise<ResourcePruneResult> {
  const now = Date.now()
  const until = opts.filter?.until
  const { removed, reclaimedBytes } = await pruneBuildCache(ctx, { all: opts.all, now, ...(until !== undefined && { unusedForMs: Math.max(0, now - until) }) })
  return { heading: 'Deleted build cache objects', removed, reclaimedBytes }
}

export const buildCacheResource: SystemResource = {
  type: 'Build Cache',
  order: 50,
  // Docker's lines (cli/command/system/prune.go)
  warning: (opts) => (opts.all ? 'all build cache' : 'unused build cache'),
  usage: buildCacheUsage,
  prune: pruneCache,
}
