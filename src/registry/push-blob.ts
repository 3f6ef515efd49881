/**
 * Sending one blob to a repository, the distribution spec's way
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs):
 *
 *   HEAD /v2/<repo>/blobs/<digest>           200: already there, nothing to send
 *   POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<other repo>
 *                                            201: mounted from a repository of
 *                                            the same registry that has it
 *   POST /v2/<repo>/blobs/uploads/           202 + Location: an upload session
 *   PUT  <location>?digest=<digest>          the whole blob in one request, or
 *   PATCH <location> (Content-Range) ...     chunks, each answered with the
 *   PUT  <location>?digest=<digest>          next Location, then an empty PUT
 *
 * A registry that cannot mount (it lost the blob, or our token may not read
 * the other repository) answers the mount with a 202 upload session, which
 * the upload then uses. Chunks are for registries, or proxies in front of
 * them, that cap the size of a request body.
 *
 * A failed upload is started over from the HEAD: a broken connection leaves
 * the session holding an unknown part of the blob.
 */
import { createReadStream } from 'node:fs'
import { Readable, Transform } from 'node:stream'
import { getLogger } from '../log.js'
import type { RegistryClient } from './client.js'
import { RegistryError } from './errors.js'
import { isNetworkError, type HttpResponse } from './http.js'
import { Backoff, isRetryableStatus, type RetryOptions } from './retry.js'

export interface BlobToPush {
  digest: string
  size: number
  /** The blob's file (a layer), or its bytes (a config). */
  source: { path: string } | { bytes: Buffer }
}

export type BlobPushStatus = 'exists' | 'mounted' | 'pushed'

export interface BlobPushResult {
  status: BlobPushStatus
  /** The repository a mounted blob came from. */
  mountedFrom?: string
}

export interface BlobPushOptions {
  /** Repositories of the same registry known to hold the blob, most likely first. */
  mountFrom?: readonly string[]
  /** Blobs up to this size go in one PUT; bigger ones in PATCH chunks. Default 64 MiB. */
  monolithicMax?: number
  /** Size of a PATCH chunk, unless the registry asks for more (OCI-Chunk-Min-Length). Default 16 MiB. */
  chunkSize?: number
  /** Bytes sent so far; starts again from 0 when the upload starts over. */
  onProgress?: (sent: number) => void
  retry?: RetryOptions
  signal?: AbortSignal
}

export const DEFAULT_MONOLITHIC_MAX = 64 * 1024 * 1024
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024
/** Docker tries this many repositories to mount from before it uploads. */
const MAX_MOUNT_ATTEMPTS = 3

export async function pushBlob(client: RegistryClient, repository: string, blob: BlobToPush, options: BlobPushOptions = {}): Promise<BlobPushResult> {
  const backoff = new Backoff(options.retry)
  for (;;) {
    try {
      return await pushOnce(client, repository, blob, options)
    } catch (err) {
      const retryable = isNetworkError(err) || (err instanceof RegistryError && err.status !== undefined && isRetryableStatus(err.status))
      if (!retryable || !backoff.canRetry || options.signal?.aborted) throw err
      getLogger().debug({ err, digest: blob.digest }, 'blob upload failed, starting it over')
      await backoff.wait(options.signal)
    }
  }
}

async function pushOnce(client: RegistryClient, repository: string, blob: BlobToPush, options: BlobPushOptions): Promise<BlobPushResult> {
  const what = `blob ${blob.digest} to ${client.registry}/${repository}`
  const push = { repository, actions: 'pull,push' }
  const head = await client.request({ ...push, method: 'HEAD', path: `blobs/${blob.digest}`, what })
  head.body.resume()
  if (head.status === 200) return { status: 'exists' }
  if (head.status !== 404) throw await client.failure(head, what)

  let session: URL | undefined
  const candidates = (options.mountFrom ?? []).filter((r) => r !== repository).slice(0, MAX_MOUNT_ATTEMPTS)
  for (const [i, from] of candidates.entries()) {
    const query = new URLSearchParams({ mount: blob.digest, from })
    const res = await client.request({ ...push, method: 'POST', path: `blobs/uploads/?${query}`, extraScopes: [`repository:${from}:pull`], what })
    if (res.status === 201) {
      res.body.resume()
      return { status: 'mounted', mountedFrom: from }
    }
    if (res.status !== 202) throw await client.failure(res, `mount of ${what} from ${from}`)
    const location = uploadLocation(res, what)
    if (i === candidates.length - 1) session = location
    else await cancelUpload(client, repository, location, what)
  }
  let minChunk = 0
  if (!session) {
    const res = await client.request({ ...push, method: 'POST', path: 'blobs/uploads/', what })
    if (res.status !== 202) throw await client.failure(res, `upload of ${what}`)
    session = uploadLocation(res, what)
    minChunk = Number(res.headers['oci-chunk-min-length']) || 0
  }

  options.onProgress?.(0)
  const monolithicMax = options.monolithicMax ?? DEFAULT_MONOLITHIC_MAX
  let done: HttpResponse
  if (blob.size <= monolithicMax) {
    done = await client.request({
      ...push,
      method: 'PUT',
      path: withDigest(session, blob.digest),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: () => open(blob, 0, blob.size, options.onProgress),
      what,
    })
  } else {
    const chunkSize = Math.max(options.chunkSize ?? DEFAULT_CHUNK_SIZE, minChunk)
    let offset = 0
    while (offset < blob.size) {
      const start = offset
      const end = Math.min(blob.size, start + chunkSize)
      const location = session
      const res = await client.request({
        ...push,
        method: 'PATCH',
        path: location,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(end - start), 'content-range': `${start}-${end - 1}` },
        body: () => open(blob, start, end, options.onProgress),
        what,
      })
      if (res.status !== 202) throw await client.failure(res, `chunk ${start}-${end - 1} of ${what}`)
      res.body.resume()
      const range = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''))
      if (range && Number(range[1]) !== end - 1) {
        throw new RegistryError(`${what}: sent bytes up to ${end - 1}, the registry has ${range[0]}`)
      }
      session = uploadLocation(res, what)
      offset = end
    }
    done = await client.request({ ...push, method: 'PUT', path: withDigest(session, blob.digest), what })
  }
  if (done.status !== 201) throw await client.failure(done, what)
  done.body.resume()
  const announced = done.headers['docker-content-digest']
  if (typeof announced === 'string' && announced !== blob.digest) {
    throw new RegistryError(`${what}: the registry stored it as ${announced}`)
  }
  return { status: 'pushed' }
}

export function uploadLocation(res: HttpResponse, what: string): URL {
  const location = res.headers.location
  if (!location) {
    res.body.resume()
    throw new RegistryError(`upload of ${what}: the registry answered ${res.status} without a Location`)
  }
  res.body.resume()
  return new URL(location, res.url)
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location.href)
  url.searchParams.set('digest', digest)
  return url
}

export async function cancelUpload(client: RegistryClient, repository: string, location: URL, what: string): Promise<void> {
  const res = await client.request({ repository, actions: 'pull,push', method: 'DELETE', path: location, what: `cancel of ${what}` })
  res.body.resume() // a registry that keeps the session lets it expire
}

/** Bytes [start, end) of the blob, counted as they are read. */
function open(blob: BlobToPush, start: number, end: number, onProgress?: (sent: number) => void): Readable {
  const source: Readable =
    'path' in blob.source
      ? createReadStream(blob.source.path, { start, end: end - 1, highWaterMark: 256 * 1024 })
      : Readable.from([blob.source.bytes.subarray(start, end)])
  let sent = start
  let read = 0
  const expected = end - start
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      read += chunk.length
      sent += chunk.length
      onProgress?.(sent)
      cb(null, chunk)
    },
    flush(cb) {
      // a kept blob that shrank must fail here, not as a digest error far away
      cb(read === expected ? null : new Error(`blob ${blob.digest}: read ${read} bytes, expected ${expected}`))
    },
  })
  source.once('error', (err) => counter.destroy(err))
  return source.pipe(counter)
}
