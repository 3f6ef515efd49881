/**
 * Images made up for registry tests, and a push over the distribution API:
 * small gzip layers built with node-tar, a config listing their diff ids, a
 * manifest (OCI or Docker media types) and, for platform tests, an index.
 */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import * as tar from 'tar'

export interface Blob {
  digest: string
  size: number
  bytes: Buffer
}

export interface BuiltLayer extends Blob {
  diffId: string
}

export interface BuiltImage {
  manifest: Blob & { mediaType: string }
  config: Blob
  layers: BuiltLayer[]
}

export interface BuiltIndex {
  index: Blob & { mediaType: string }
  images: BuiltImage[]
}

export type Files = Record<string, string | Buffer>

export function blobOf(bytes: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes }
}

/** A gzip tar layer holding `files` (paths relative to /). */
export async function buildLayer(files: Files): Promise<BuiltLayer> {
  const dir = await mkdtemp(join(tmpdir(), 'mini-run-layer-'))
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true })
      await writeFile(join(dir, path), content)
    }
    const chunks: Buffer[] = []
    const stream = tar.create({ cwd: dir, portable: true, noMtime: true }, Object.keys(files).map((p) => p.replace(/^\/+/, '')))
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk))
    const tarBytes = Buffer.concat(chunks)
    const diffId = blobOf(tarBytes).digest
    return { ...blobOf(gzipSync(tarBytes)), diffId }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export interface ImageSpec {
  layers: Files[]
  os?: string
  architecture?: string
  variant?: string
  /** Docker schema 2 media types instead of OCI. */
  docker?: boolean
  cmd?: string[]
}

export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const layers: BuiltLayer[] = []
  for (const files of spec.layers) layers.push(await buildLayer(files))
  const config = blobOf(
    Buffer.from(
      JSON.stringify({
        architecture: spec.architecture ?? 'amd64',
        os: spec.os ?? 'linux',
        ...(spec.variant && { variant: spec.variant }),
        config: { Cmd: spec.cmd ?? ['/bin/sh'], Env: ['PATH=/usr/bin:/bin'] },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      }),
    ),
  )
  const mediaType = spec.docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json'
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: {
          mediaType: spec.docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json',
          digest: config.digest,
          size: config.size,
        },
        layers: layers.map((l) => ({
          mediaType: spec.docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: l.digest,
          size: l.size,
        })),
      }),
    ),
  )
  return { manifest: { ...manifest, mediaType }, config, layers }
}

export function buildIndex(images: BuiltImage[], options: { docker?: boolean } = {}): BuiltIndex {
  const mediaType = options.docker
    ? 'application/vnd.docker.distribution.manifest.list.v2+json'
    : 'application/vnd.oci.image.index.v1+json'
  const index = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        manifests: images.map((image) => {
          const config = JSON.parse(image.config.bytes.toString()) as { os: string; architecture: string; variant?: string }
          return {
            mediaType: image.manifest.mediaType,
            digest: image.manifest.digest,
            size: image.manifest.size,
            platform: { os: config.os, architecture: config.architecture, ...(config.variant && { variant: config.variant }) },
          }
        }),
      }),
    ),
  )
  return { index: { ...index, mediaType }, images }
}

/** Pushes blobs (POST then PUT, the two-step upload) and the manifest under `tag`. */
export async function pushImage(registryUrl: string, repository: string, tag: string, image: BuiltImage): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await pushBlob(registryUrl, repository, blob)
  await pushManifest(registryUrl, repository, tag, image.manifest)
}

export async function pushIndex(registryUrl: string, repository: string, tag: string, built: BuiltIndex): Promise<void> {
  for (const image of built.images) {
    for (const blob of [image.config, ...image.layers]) await pushBlob(registryUrl, repository, blob)
    await pushManifest(registryUrl, repository, image.manifest.digest, image.manifest)
  }
  await pushManifest(registryUrl, repository, tag, built.index)
}

export async function pushBlob(registryUrl: string, repository: string, blob: Blob): Promise<void> {
  const head = await fetch(`${registryUrl}/v2/${repository}/blobs/${blob.digest}`, { method: 'HEAD' })
  if (head.status === 200) return
  const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
  await start.arrayBuffer()
  const location = start.headers.get('location')
  if (start.status !== 202 || !location) throw new Error(`upload of ${blob.digest} refused: ${start.status}`)
  const url = new URL(location, registryUrl)
  url.searchParams.set('digest', blob.digest)
  const put = await fetch(url, { method: 'PUT', body: new Uint8Array(blob.bytes), headers: { 'content-type': 'application/octet-stream' } })
  if (put.status !== 201) throw new Error(`upload of ${blob.digest} failed: ${put.status} ${await put.text()}`)
  await put.arrayBuffer().catch(() => undefined)
}

export async function pushManifest(registryUrl: string, repository: string, reference: string, manifest: Blob & { mediaType: string }): Promise<void> {
  const put = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body: new Uint8Array(manifest.bytes),
    headers: { 'content-type': manifest.mediaType },
  })
  if (put.status !== 201) throw new Error(`push of manifest ${reference} failed: ${put.status} ${await put.text()}`)
}
