/**
 * layers/<chainId>/sources.json: the repositories known to hold a layer's
 * blob, because it was pulled from or pushed to them. A push to another
 * repository of the same registry then asks the registry to mount the blob
 * from there (`POST .../blobs/uploads/?mount=<digest>&from=<repo>`, the
 * distribution spec's cross-repository mount) instead of uploading it again;
 * dockerd keeps the same hint (its v2 metadata by diff id).
 *
 * Only a hint: a registry that no longer has the blob, or will not let us
 * read the other repository, answers the mount with an upload session and
 * the push uploads. So concurrent writers may lose each other's entries.
 */
import { join } from 'node:path'
import { isDigest } from './digest.js'
import { readMetadata } from './refs.js'
import { writeFileAtomic } from './store-tmp.js'
import type { LayerSource } from './store-types.js'

const FILE = 'sources.json'
/** dockerd keeps a handful per layer too; older entries are the least likely to be mountable. */
const MAX_SOURCES = 8

export function readLayerSources(layerDir: string): LayerSource[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readMetadata(join(layerDir, FILE)).toString('utf8'))
  } catch {
    return []
  }
  if (!Array.isArray(parsed)) return []
  return parsed.filter(
    (s): s is LayerSource =>
      typeof s === 'object' &&
      s !== null &&
      typeof (s as LayerSource).registry === 'string' &&
      typeof (s as LayerSource).repository === 'string' &&
      typeof (s as LayerSource).digest === 'string' &&
      isDigest((s as LayerSource).digest),
  )
}

/** Remember a source of the layer in dir (the store's tmpDir is where the new list is written first). */
export async function addLayerSource(dir: string, tmpDir: string, source: LayerSource): Promise<void> {
  const same = (s: LayerSource): boolean => s.registry === source.registry && s.repository === source.repository && s.digest === source.digest
  const existing = readLayerSources(dir)
  if (same(existing[0] ?? { registry: '', repository: '', digest: '' })) return
  const next = [source, ...existing.filter((s) => !same(s))].slice(0, MAX_SOURCES)
  try {
    await writeFileAtomic(tmpDir, join(dir, FILE), JSON.stringify(next) + '\n', 0o600)
  } catch (err) {
    // the layer was removed meanwhile: nothing to remember
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
