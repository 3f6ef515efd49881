/**
 * The build cache's state in the store (`mini-run build`, src/build/):
 *
 *   <root>/build-cache/steps/<key hex>.json   a step's result: the image
 *                                              config and layer descriptors
 *                                              it produced
 *   <root>/build-cache/mounts/<id hash>/       RUN --mount=type=cache dirs
 *
 * An entry names layers by their diff ids; it hits only while all of them
 * are still in the store. It is no image, but `image prune` and `rmi` keep
 * the layers entries need (store-gc.ts): as with BuildKit (Docker 23+),
 * only `builder prune` and `system prune` remove the build cache
 * (src/system/build-cache-prune.ts).
 *
 * A running build holds the layers it makes or starts from in a lease of
 * the store (store-lease.ts) until its image is tagged.
 *
 * Everything is private to the store's owner, like the rest of the store:
 * cache mounts can hold what a RUN downloaded with credentials.
 */
import { readFileSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { getLogger } from '../log.js'
import { ensurePrivateDir } from '../private-dir.js'
import { chainIds, digestHex } from './digest.js'
import type { Descriptor, ImageConfig } from './oci.js'
import { writeFileAtomic } from './store-tmp.js'

const PRIVATE = { mode: 0o700, what: 'build cache directory' }

export interface CacheEntry {
  key: string
  /** The image config after the step (history and diff_ids included). */
  config: ImageConfig
  /** The layer descriptors, parallel to config.rootfs.diff_ids. */
  layers: Descriptor[]
  created: string
}

export interface BuildCacheDirs {
  root: string
  steps: string
  mounts: string
}

export function buildCacheDirs(storeRoot: string): BuildCacheDirs {
  const root = join(storeRoot, 'build-cache')
  return { root, steps: join(root, 'steps'), mounts: join(root, 'mounts') }
}

export function ensureBuildCacheDirs(storeRoot: string): BuildCacheDirs {
  const dirs = buildCacheDirs(storeRoot)
  for (const dir of [dirs.root, dirs.steps, dirs.mounts]) ensurePrivateDir(dir, PRIVATE)
  return dirs
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch {
    return undefined
  }
}

export function readCacheEntry(storeRoot: string, key: string): CacheEntry | undefined {
  const entry = readJson<CacheEntry>(join(buildCacheDirs(storeRoot).steps, digestHex(key) + '.json'))
  return entry?.key === key && Array.isArray(entry.config?.rootfs?.diff_ids) ? entry : undefined
}

export async function writeCacheEntry(storeRoot: string, tmpDir: string, entry: CacheEntry): Promise<void> {
  const dirs = ensureBuildCacheDirs(storeRoot)
  await writeFileAtomic(tmpDir, join(dirs.steps, digestHex(entry.key) + '.json'), JSON.stringify(entry), 0o600)
}

/** A cache hit: the entry's mtime is its last use, which builder prune's until= and --keep-storage go by. */
export function touchCacheEntry(storeRoot: string, key: string, now = new Date()): void {
  try {
    utimesSync(join(buildCacheDirs(storeRoot).steps, digestHex(key) + '.json'), now, now)
  } catch {
    // gone meanwhile: a prune took it, and the lease holds its layers
  }
}

export function removeCacheEntry(storeRoot: string, key: string): void {
  rmSync(join(buildCacheDirs(storeRoot).steps, digestHex(key) + '.json'), { force: true })
}

/** A step entry as `system df` counts it: its file's bytes and the layers it needs, bottom first. */
export interface CacheEntryRecord {
  /** Its file, which removing the entry removes. */
  path: string
  bytes: number
  chainIds: string[]
  /** Its last use, ms: its file's mtime, which a cache hit touches (touchCacheEntry). */
  lastUsed: number
}

/** Every readable step entry (an entry is a small document: reading it is no cost, as layer.json's). */
export function listCacheEntries(storeRoot: string): CacheEntryRecord[] {
  const dir = buildCacheDirs(storeRoot).steps
  const out: CacheEntryRecord[] = []
  for (const name of readdirOr(dir)) {
    const path = join(dir, name)
    try {
      const entry = readJson<CacheEntry>(path)
      if (!entry) continue
      const st = statSync(path)
      out.push({ path, bytes: st.size, chainIds: chainIds(entry.config.rootfs.diff_ids), lastUsed: st.mtimeMs })
    } catch (err) {
      getLogger().debug({ err, path }, 'unreadable build cache entry')
    }
  }
  return out
}

/** The RUN --mount=type=cache directories. */
export function listCacheMounts(storeRoot: string): string[] {
  const dir = buildCacheDirs(storeRoot).mounts
  return readdirOr(dir).map((name) => join(dir, name))
}

function readdirOr(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
