/**
 * Getting a manifest (or index) and checking it before anything reads it:
 * at most 4 MiB, the digest we asked for or the one the registry announced,
 * a schema we understand.
 */
import { createHash } from 'node:crypto'
import { isDigest } from '../image/digest.js'
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, type Descriptor, type ImageIndex, type ImageManifest } from '../image/oci.js'
import { getLogger } from '../log.js'
import type { RegistryClient } from './client.js'
import { ContentVerificationError, ManifestNotFoundError, UnsupportedManifestError } from './errors.js'
import { isNetworkError, readBody } from './http.js'
import { MANIFEST_ACCEPT, SCHEMA1_TYPES } from './media-types.js'
import { Backoff, type RetryOptions } from './retry.js'

/** containerd's limit on a manifest or config: larger is a mistake or an attack. */
export const DOCUMENT_LIMIT = 4 * 1024 * 1024

export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'image'; manifest: ImageManifest }

export interface FetchedManifest {
  /** sha256 of `bytes`: the manifest's identity, whatever it was asked by. */
  digest: string
  mediaType: string
  /** Exactly as received: stored as-is so its digest stays the same. */
  bytes: Buffer
  parsed: ParsedManifest
}

export interface ManifestRequest {
  repository: string
  /** A tag, or a digest (then verified). */
  reference: string
  /** Set when it comes from a descriptor (an index entry): its size is checked too. */
  expected?: Pick<Descriptor, 'digest' | 'size'>
  /** The image as the user named it, for messages. */
  name: string
  retry?: RetryOptions
  signal?: AbortSignal
}

export async function fetchManifest(client: RegistryClient, req: ManifestRequest): Promise<FetchedManifest> {
  const what = `manifest for ${req.name}`
  const backoff = new Backoff(req.retry)
  for (;;) {
    const res = await client.request({
      repository: req.repository,
      path: `manifests/${req.reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      what,
    })
    if (res.status === 404) {
      const err = await client.failure(res, what)
      throw new ManifestNotFoundError(`${what} not found${err.message.slice(what.length)}`, { status: 404 })
    }
    if (res.status !== 200) throw await client.failure(res, what)
    let bytes: Buffer
    try {
      bytes = await readBody(res, DOCUMENT_LIMIT, () => new UnsupportedManifestError(`${what} is larger than ${DOCUMENT_LIMIT} bytes: refused`))
    } catch (err) {
      if (isNetworkError(err) && backoff.canRetry) {
        getLogger().debug({ err, what }, 'connection lost while reading a manifest, retrying')
        await backoff.wait(req.signal)
        continue
      }
      throw err
    }
    const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex')
    const expectedDigest = req.expected?.digest ?? (isDigest(req.reference) ? req.reference : undefined)
    if (expectedDigest !== undefined && digest !== expectedDigest) {
      throw new ContentVerificationError(expectedDigest, `digest mismatch in ${what}: the registry sent content with digest ${digest}`)
    }
    if (req.expected && bytes.length !== req.expected.size) {
      throw new ContentVerificationError(req.expected.digest, `size mismatch in ${what}: ${bytes.length} bytes, the index says ${req.expected.size}`)
    }
    const announced = headerValue(res.headers['docker-content-digest'])
    if (announced?.startsWith('sha256:') && announced !== digest) {
      throw new ContentVerificationError(announced, `digest mismatch in ${what}: the registry announced this digest and sent content with digest ${digest}`)
    }
    const contentType = headerValue(res.headers['content-type'])?.split(';')[0]?.trim()
    const { mediaType, parsed } = parseManifest(bytes, contentType, what)
    return { digest, mediaType, bytes, parsed }
  }
}

/** Parses and validates a manifest; `contentType` is used when the document has no mediaType. */
export function parseManifest(bytes: Buffer, contentType: string | undefined, what: string): { mediaType: string; parsed: ParsedManifest } {
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>
  } catch (err) {
    if (contentType && SCHEMA1_TYPES.has(contentType)) throw schema1(what, contentType)
    throw new UnsupportedManifestError(`${what} is not valid JSON`, { cause: err })
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UnsupportedManifestError(`${what} is not a JSON object`)
  }
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined
  if (doc.schemaVersion === 1 || SCHEMA1_TYPES.has(declared ?? contentType ?? '')) {
    throw schema1(what, declared ?? contentType ?? 'schemaVersion 1')
  }
  if (doc.schemaVersion !== 2) {
    throw new UnsupportedManifestError(`${what} has unsupported schemaVersion ${JSON.stringify(doc.schemaVersion)}`)
  }
  // The OCI spec makes mediaType optional in the document; the Content-Type header then says.
  let mediaType = declared ?? contentType ?? ''
  if (!INDEX_TYPES.has(mediaType) && !IMAGE_MANIFEST_TYPES.has(mediaType)) {
    if (Array.isArray(doc.manifests)) mediaType = 'application/vnd.oci.image.index.v1+json'
    else if (doc.config && Array.isArray(doc.layers)) mediaType = 'application/vnd.oci.image.manifest.v1+json'
    else throw new UnsupportedManifestError(`${what} has unsupported media type ${JSON.stringify(mediaType)}`)
  }
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new UnsupportedManifestError(`${what}: index without manifests`)
    doc.manifests.forEach((d, i) => checkDescriptor(d, `${what}: manifests[${i}]`))
    return { mediaType, parsed: { kind: 'index', index: doc as unknown as ImageIndex } }
  }
  checkDescriptor(doc.config, `${what}: config`)
  if (!Array.isArray(doc.layers)) throw new UnsupportedManifestError(`${what}: manifest without layers`)
  doc.layers.forEach((d, i) => checkDescriptor(d, `${what}: layers[${i}]`))
  return { mediaType, parsed: { kind: 'image', manifest: doc as unknown as ImageManifest } }
}

function schema1(what: string, type: string): UnsupportedManifestError {
  return new UnsupportedManifestError(
    `${what} uses Docker image manifest schema 1 (${type}), which is deprecated and not supported: ` +
      'push the image again with a current docker, buildah or skopeo to convert it to schema 2 or OCI',
  )
}

/** A descriptor's fields, checked before they become URLs and file names. */
export function checkDescriptor(value: unknown, what: string): asserts value is Descriptor {
  if (typeof value !== 'object' || value === null) throw new UnsupportedManifestError(`${what}: not a descriptor`)
  const d = value as Record<string, unknown>
  if (typeof d.mediaType !== 'string') throw new UnsupportedManifestError(`${what}: descriptor without mediaType`)
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) {
    throw new UnsupportedManifestError(`${what}: unsupported digest ${JSON.stringify(d.digest)} (only sha256 is supported)`)
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new UnsupportedManifestError(`${what}: invalid size ${JSON.stringify(d.size)} for ${d.digest}`)
  }
}

/** A header's first value (node gives a list for a repeated one). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
