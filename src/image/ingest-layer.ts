/**
 * One layer blob -> one verified directory tree.
 *
 * The bytes are checked twice while they stream: the blob's digest and size
 * (what the manifest promised) before decompression, the diff id (what the
 * config promised) after. The tree is written as the tar is read, and only
 * counts once both digests match; the caller keeps it in tmp/ until then and
 * removes it on any error.
 */
import { createHash } from 'node:crypto'
import type { WriteStream } from 'node:fs'
import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { MiniRunError } from '../errors.js'
import { openWriteStream } from '../open-write-stream.js'
import { decompress, type Compression } from './decompress.js'
import { TarReader } from './tar-reader.js'
import type { UnpackLimits } from './layer-entry-checks.js'
import { LayerWriter } from './unpack-layer.js'

export interface IngestOptions {
  /** The blob's digest; when absent it is computed and returned (docker save). */
  expectDigest?: string
  expectSize?: number
  expectDiffId?: string
  rootless: boolean
  /** Chown to the layer's owners though rootless: in a user namespace that maps them (ingest-in-userns.ts). */
  keepOwners?: boolean
  maxId?: number
  limits: UnpackLimits
  progress?: (bytes: number) => void
  signal?: AbortSignal
  /**
   * Also write the blob, byte for byte as it streams, to this file: push and
   * save must send the very bytes whose digest the manifest names, and a
   * compressor run again rarely reproduces them.
   */
  blobPath?: string
}

export interface IngestResult {
  digest: string
  compressedSize: number
  diffId: string
  /** Bytes of file content written. */
  size: number
  entries: number
  compression: Compression
}

export async function ingestLayer(source: Readable, fsDir: string, opts: IngestOptions): Promise<IngestResult> {
  const label = opts.expectDigest ?? 'blob'
  const blobHash = createHash('sha256')
  let compressedSize = 0
  const blobFile: WriteStream | undefined = opts.blobPath !== undefined ? await openWriteStream(opts.blobPath, 'wx', 0o600) : undefined
  const blobFailed = blobFile ? once(blobFile, 'error').then(([err]) => Promise.reject(err as Error)) : undefined
  blobFailed?.catch(() => undefined)

  async function* metered(): AsyncGenerator<Buffer> {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      opts.signal?.throwIfAborted()
      compressedSize += chunk.length
      if (opts.expectSize !== undefined && compressedSize > opts.expectSize) {
        throw new MiniRunError(`layer ${label} is larger than its declared ${opts.expectSize} bytes`, { code: 'ESIZE' })
      }
      blobHash.update(chunk)
      if (blobFile && !blobFile.write(chunk)) await Promise.race([once(blobFile, 'drain'), blobFailed])
      opts.progress?.(compressedSize)
      yield chunk
    }
  }

  const writer = new LayerWriter(fsDir, {
    rootless: opts.rootless,
    ...(opts.keepOwners !== undefined ? { keepOwners: opts.keepOwners } : {}),
    ...(opts.maxId !== undefined ? { maxId: opts.maxId } : {}),
    limits: opts.limits,
    label,
  })
  const reader = new TarReader(writer)
  const diffHash = createHash('sha256')
  try {
    const { compression, chunks } = await decompress(metered())
    const plain = compression === 'none'
    try {
      for await (const chunk of chunks) {
        if (!plain) diffHash.update(chunk)
        reader.write(chunk)
      }
    } catch (err) {
      if (err instanceof MiniRunError) throw err
      throw new MiniRunError(`layer ${label}: cannot ${plain ? 'read' : `decompress (${compression})`}: ${(err as Error).message}`, {
        code: 'EBADLAYER',
        cause: err,
      })
    }
    reader.end()
    if (opts.expectSize !== undefined && compressedSize !== opts.expectSize) {
      throw new MiniRunError(`layer ${label} is ${compressedSize} bytes, its descriptor says ${opts.expectSize}`, { code: 'ESIZE' })
    }
    const digest = 'sha256:' + blobHash.digest('hex')
    if (opts.expectDigest !== undefined && digest !== opts.expectDigest) {
      throw new MiniRunError(`layer ${opts.expectDigest} failed verification: its content hashes to ${digest}`, { code: 'EDIGEST' })
    }
    const diffId = plain ? digest : 'sha256:' + diffHash.digest('hex')
    if (opts.expectDiffId !== undefined && diffId !== opts.expectDiffId) {
      throw new MiniRunError(`layer ${label}: uncompressed content hashes to ${diffId}, the image config says ${opts.expectDiffId}`, {
        code: 'EDIGEST',
      })
    }
    if (blobFile) await Promise.race([new Promise<void>((resolve) => blobFile.end(resolve)), blobFailed])
    // only now, with both digests verified, do the deferred writes
    writer.finish()
    return { digest, compressedSize, diffId, size: writer.bytes, entries: writer.entries, compression }
  } catch (err) {
    writer.abort()
    source.destroy()
    blobFile?.destroy()
    throw err
  }
}
