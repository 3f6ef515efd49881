/**
 * `import`: an image of one layer from a tarball of a root filesystem, as
 * `docker import` makes it; the way back from `export`. The tarball may be
 * plain, gzip, zstd, xz or bzip2 (Docker's list, sniffed from its first
 * bytes as a layer's is). Its tar is hashed (the diff id), gzipped into the
 * store's tmp/ and unpacked through the store's verified path, the one every
 * pulled layer takes (store.unpackLayer): an entry that climbs out, a
 * device the store refuses or a broken archive leaves nothing behind.
 * Member names that begin with "/" are made relative first, as Docker's
 * import takes them (relative-member-names.ts); a pulled layer's are refused.
 *
 * The config is Docker's (moby daemon/images/image_import.go): empty but
 * for what --change sets, the platform, and one history entry whose
 * comment is the message, else "Imported from SOURCE" ("-" for a file or
 * stdin, as the Docker CLI sends both; the URL for a URL).
 */
import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { commitLayerBlob, writeTarBlob, type LayerBlob } from '../build/layer-tar.js'
import { commitState, type BuildState } from '../build/image-state.js'
import { MiniRunError, UsageError } from '../errors.js'
import { applyChanges } from './commit-changes.js'
import { relativeMemberNames } from './relative-member-names.js'
import { decompress } from '../image/decompress.js'
import type { Platform } from '../image/oci.js'
import { hostPlatform } from '../image/platform.js'
import type { ImageStore } from '../image/store.js'
import { StoreLease } from '../image/store-lease.js'

export interface ImportOptions {
  /** Normalized names for the image (none: an untagged image, known by its id). */
  names: string[]
  /** --change: Dockerfile instructions for the config (commit-changes.ts). */
  changes?: string[]
  /** --message: the history entry's comment. */
  message?: string
  /** --platform: the image's os and architecture (default: the host's). */
  platform?: Platform
  /** What the history names: "-" for a file or stdin, else the URL. */
  source: string
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])

/** xz or bzip2, which Node's zlib lacks, by their first bytes. */
export function externalCompression(head: Buffer): 'xz' | 'bzip2' | undefined {
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz'
  if (head.length >= 4 && head.toString('latin1', 0, 3) === 'BZh' && /[1-9]/.test(head.toString('latin1', 3, 4))) return 'bzip2'
  return undefined
}

/** The first `n` bytes (or all there are), and the whole stream again. */
async function peek(chunks: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]()
  const seen: Buffer[] = []
  let length = 0
  let done = false
  while (length < n) {
    const r = await it.next()
    if (r.done) {
      done = true
      break
    }
    seen.push(r.value)
    length += r.value.length
  }
  const head = Buffer.concat(seen, length)
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head
    if (done) return
    for (;;) {
      const r = await it.next()
      if (r.done) return
      yield r.value
    }
  }
  return { head, all: all() }
}

/** Through `xz -dc` or `bzip2 -dc`: a child process keeps a decompressor library out of the bundles. */
async function* throughTool(tool: 'xz' | 'bzip2', chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] })
  const stderr: Buffer[] = []
  child.stderr.on('data', (d: Buffer) => stderr.push(d))
  const exited = new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error }))
    child.on('close', (code) => resolve({ code }))
  })
  // a tool that stops reading (a corrupt stream) must not leave the feed hanging
  const fed = pipeline(Readable.from(chunks), child.stdin).catch((err: NodeJS.ErrnoException) => err)
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer
  } finally {
    if (child.exitCode === null) child.kill()
  }
  const { code, error } = await exited
  if (error?.code === 'ENOENT') throw new UsageError(`the archive is ${tool}-compressed and ${tool} is not on PATH`)
  // said at once: the feed may wait on a source its writer keeps open (the caller closes it)
  if (error || code !== 0) throw new UsageError(`${tool} -d: ${Buffer.concat(stderr).toString().trim() || error?.message || `exit ${code}`}`)
  const feedError = await fed
  if (feedError instanceof Error && feedError.code !== 'EPIPE') throw feedError
}

/** The archive's tar, decompressed by whichever of the five formats it is in. */
async function tarOf(input: AsyncIterable<Buffer>): Promise<AsyncIterable<Buffer>> {
  const { head, all } = await peek(input, 6)
  const tool = externalCompression(head)
  if (tool) return throughTool(tool, all)
  return (await decompress(all)).chunks
}

/** The tar, hashed as it is (the diff id) and gzipped into the store's tmp/ (the blob). */
async function writeBlob(store: ImageStore, tar: AsyncIterable<Buffer>): Promise<LayerBlob> {
  const blob = await writeTarBlob(store, tar, 'import')
  if (blob.tarSize === 0) {
    await rm(blob.path, { force: true })
    throw new UsageError('the archive is empty')
  }
  return blob
}

/** Import the tarball read from `input` as a new image; its id (sha256:...). */
export async function importTarball(store: ImageStore, input: AsyncIterable<Buffer>, o: ImportOptions): Promise<{ id: string }> {
  const platform = o.platform ?? hostPlatform()
  const config: BuildState['config']['config'] = {}
  // a wrong --change is refused before anything is read
  applyChanges(config, o.changes ?? [])
  const lease = new StoreLease(store.root)
  try {
    // (/bin/sh as bin/sh: Docker's import takes `tar -P`'s archives)
    const blob = await writeBlob(store, relativeMemberNames(await tarOf(input)))
    let descriptor
    try {
      ;({ descriptor } = await commitLayerBlob(store, blob, [], lease))
    } catch (err) {
      const code = (err as { code?: unknown }).code
      throw new MiniRunError(`not a root filesystem archive the store takes: ${(err as Error).message}`, { ...(typeof code === 'string' ? { code } : {}), cause: err })
    }
    const created = new Date().toISOString()
    const comment = o.message ?? `Imported from ${o.source}`
    const state: BuildState = {
      config: {
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        created,
        config,
        rootfs: { type: 'layers', diff_ids: [blob.diffId] },
        history: [{ created, comment }],
      },
      layers: [descriptor],
    }
    return { id: (await commitState(store, state, o.names, lease)).id }
  } finally {
    lease.release()
  }
}
