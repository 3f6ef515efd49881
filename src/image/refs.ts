/**
 * refs/: one small JSON file per name, {name, manifestDigest, configDigest},
 * replaced atomically (write to tmp/, rename). The file name is the name
 * percent-encoded ("docker.io%2Flibrary%2Falpine%3Alatest"), or its hash
 * when that would not fit in a file name.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { isDigest, sha256Digest } from './digest.js'
import { parseReference } from './reference.js'
import { writeFileAtomic } from './store-tmp.js'
import type { RefRecord } from './store-types.js'

/**
 * Manifests, configs, refs and layer records are small files on a local
 * disk: they are read with synchronous calls, which take microseconds,
 * where the first asynchronous one would start libuv's thread pool (about
 * 3 ms of every `mini-run run`). Layers, which are large, stream.
 */
export function readMetadata(path: string): Buffer {
  return readFileSync(path)
}

export function refFileName(name: string): string {
  const encoded = encodeURIComponent(name)
  return encoded.length <= 200 ? encoded : `sha256-${sha256Digest(name).slice(7)}`
}

function isEnoent(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT'
}

export async function readRef(refsDir: string, name: string): Promise<RefRecord | undefined> {
  try {
    return JSON.parse(readMetadata(`${refsDir}/${refFileName(name)}`).toString('utf8')) as RefRecord
  } catch (err) {
    if (isEnoent(err)) return undefined
    throw new MiniRunError(`cannot read ref ${name} in ${refsDir}`, { cause: err })
  }
}

export async function listRefs(refsDir: string): Promise<RefRecord[]> {
  let files: string[]
  try {
    // sync, as the reads below: node:fs/promises would be compiled for this
    // one call (2-3 ms of every `images`)
    files = readdirSync(refsDir)
  } catch (err) {
    if (isEnoent(err)) return []
    throw err
  }
  const refs: RefRecord[] = []
  for (const file of files) {
    try {
      refs.push(JSON.parse(readMetadata(`${refsDir}/${file}`).toString('utf8')) as RefRecord)
    } catch (err) {
      // removed meanwhile by another process
      if (!isEnoent(err)) throw new MiniRunError(`corrupt ref file ${join(refsDir, file)}`, { cause: err })
    }
  }
  return refs
}

export async function writeRef(tmpDir: string, refsDir: string, ref: RefRecord): Promise<void> {
  await writeFileAtomic(tmpDir, join(refsDir, refFileName(ref.name)), JSON.stringify(ref) + '\n')
}

/**
 * Why a normalized name may not point at an image, or undefined if it may.
 * A name that carries a digest is a promise about content: `run
 * repo@sha256:X` must run the manifest X and nothing else, so such a name
 * may only point at the manifest X, or at a manifest that the index X (its
 * bytes given as `index`, as a pull or a load of a multi-platform image has
 * them) lists. An image id, a bare digest, names an untagged image by its
 * config. An archive can claim any name in its annotations: this is what
 * stops it from claiming another image's digest.
 */
export function refDigestConflict(
  name: string,
  image: { manifestDigest: string; configDigest: string },
  index?: Buffer,
): string | undefined {
  if (isDigest(name)) {
    return name === image.configDigest ? undefined : `image id ${name} is not this image's config digest ${image.configDigest}`
  }
  const pinned = parseReference(name).digest
  if (pinned === undefined || pinned === image.manifestDigest) return undefined
  if (index !== undefined && sha256Digest(index) === pinned && indexLists(index, image.manifestDigest)) return undefined
  return `${name} does not name this image: its manifest is ${image.manifestDigest}`
}

function indexLists(index: Buffer, manifestDigest: string): boolean {
  try {
    const parsed = JSON.parse(index.toString('utf8')) as { manifests?: unknown }
    return Array.isArray(parsed.manifests) && parsed.manifests.some((d) => (d as { digest?: unknown } | null)?.digest === manifestDigest)
  } catch {
    return false
  }
}
