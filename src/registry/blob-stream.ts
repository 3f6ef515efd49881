/**
 * A blob as a verified, resumable stream. Bytes are passed on as they
 * arrive (so the store decompresses and unpacks while we download), counted
 * against the descriptor's size and hashed; the stream ends only if the
 * digest matches, and otherwise fails with an error naming it, so a consumer
 * that commits on 'end' never commits bad content.
 *
 * A connection that breaks mid-blob is picked up where it stopped with a
 * Range request; a registry that ignores Range sends the whole blob again and
 * the part already passed on is skipped. Either way the consumer sees one
 * unbroken stream.
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Descriptor } from '../image/oci.js'
import { getLogger } from '../log.js'
import type { RegistryClient } from './client.js'
import { ContentVerificationError, RegistryError } from './errors.js'
import { isNetworkError, type HttpResponse } from './http.js'
import { Backoff, type RetryOptions } from './retry.js'

export interface BlobStreamOptions {
  retry?: RetryOptions
  signal?: AbortSignal
  /** Called with the count of bytes passed on so far. */
  onProgress?: (received: number) => void
  /**
   * Awaited once every byte is in and the digest verified, before the stream
   * ends; if it throws, the stream fails instead. pull.ts uses it to hold all
   * layers of an image back from the store until all of them are verified.
   */
  beforeEnd?: () => Promise<void>
}

export function blobStream(
  client: RegistryClient,
  repository: string,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  options: BlobStreamOptions = {},
): Readable {
  return Readable.from(download(client, repository, descriptor, options), { objectMode: false, highWaterMark: 64 * 1024 })
}

/** The whole blob in memory, verified; for configs, which are small. */
export async function readBlob(
  client: RegistryClient,
  repository: string,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  options: BlobStreamOptions = {},
): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of download(client, repository, descriptor, options)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function* download(
  client: RegistryClient,
  repository: string,
  { digest, size }: Pick<Descriptor, 'digest' | 'size'>,
  options: BlobStreamOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const log = getLogger()
  const what = `blob ${digest} of ${client.registry}/${repository}`
  const hash = createHash('sha256')
  const backoff = new Backoff(options.retry)
  let received = 0

  while (received < size || received === 0) {
    const res = await client.request({
      repository,
      path: `blobs/${digest}`,
      headers: received > 0 ? { range: `bytes=${received}-` } : {},
      what,
    })
    let skip = await bytesToSkip(client, res, received, size, what, digest)
    const before = received
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        let data = chunk
        if (skip > 0) {
          if (data.length <= skip) {
            skip -= data.length
            continue
          }
          data = data.subarray(skip)
          skip = 0
        }
        if (received + data.length > size) {
          res.body.destroy()
          throw new ContentVerificationError(digest, `size mismatch: the registry sent more than the ${size} bytes of the descriptor`)
        }
        hash.update(data)
        received += data.length
        options.onProgress?.(received)
        yield data
      }
    } catch (err) {
      if (!isNetworkError(err) || options.signal?.aborted) throw err
      if (received > before) backoff.reset() // progress: the connection is flaky, not dead
      if (!backoff.canRetry) {
        throw new RegistryError(`${what}: connection lost after ${received} of ${size} bytes: ${(err as Error).message}`, { cause: err })
      }
      log.debug({ err, digest, received, size }, 'connection lost mid-blob, resuming')
      await backoff.wait(options.signal)
      continue
    }
    if (received < size) {
      throw new ContentVerificationError(digest, `size mismatch: the registry sent ${received} bytes, the descriptor says ${size}`)
    }
    break
  }
  const actual = `sha256:${hash.digest('hex')}`
  if (actual !== digest) {
    throw new ContentVerificationError(digest, `digest mismatch: the registry sent ${size} bytes with digest ${actual}`)
  }
  await options.beforeEnd?.()
}

/** How much of this answer's body we already passed on; throws for answers that are not the blob. */
async function bytesToSkip(client: RegistryClient, res: HttpResponse, received: number, size: number, what: string, digest: string): Promise<number> {
  if (res.status === 200) {
    const length = Number(res.headers['content-length'])
    if (res.headers['content-length'] !== undefined && length !== size) {
      res.body.destroy()
      throw new ContentVerificationError(digest, `size mismatch: the registry announced ${length} bytes, the descriptor says ${size}`)
    }
    return received // a fresh start, or a registry that ignored our Range
  }
  if (res.status === 206 && received > 0) {
    const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''))
    const start = match?.[1] === undefined ? NaN : Number(match[1])
    if (start <= received) return received - start
    res.body.destroy()
    throw new RegistryError(`${what}: asked to resume at byte ${received}, the registry sent ${JSON.stringify(res.headers['content-range'])}`)
  }
  if (res.status === 404) {
    const err = await client.failure(res, what)
    throw new RegistryError(`${what} not found${err.message.slice(what.length)}`, { status: 404 })
  }
  throw await client.failure(res, what)
}
