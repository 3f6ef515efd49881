/**
 * refs/: one small JSON file per name, {name, manifestDigest, configDigest},
 * replaced atomically (write to tmp/, rename). The file name is the name
 * percent-encoded ("docker.io%2Flibrary%2Falpine%3Alatest"), or its hash
 * when that would not fit in a file name.
 */
import { readFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { sha256Digest } from './digest.js'
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
    return JSON.parse(readMetadata(join(refsDir, refFileName(name))).toString('utf8')) as RefRecord
  } catch (err) {
    if (isEnoent(err)) return undefined
    throw new MiniRunError(`cannot read ref ${name} in ${refsDir}`, { cause: err })
  }
}

export async function listRefs(refsDir: string): Promise<RefRecord[]> {
  let files: string[]
  try {
    files = await readdir(refsDir)
  } catch (err) {
    if (isEnoent(err)) return []
    throw err
  }
  const refs: RefRecord[] = []
  for (const file of files) {
    try {
      refs.push(JSON.parse(readMetadata(join(refsDir, file)).toString('utf8')) as RefRecord)
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
