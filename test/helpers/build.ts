/**
 * Helpers for the build tests: a build context from a list of files, and
 * an OCI image layout written from what the store holds of an image (for
 * tools such as umoci; `mini-run save` would do this for a user). The
 * store keeps layers unpacked, in overlay form; each is made a layer tar
 * again with the build's own converter, so the layout has its own diff ids.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { tarStream } from '../../src/build/layer-tar.js'
import { overlayDiff } from '../../src/build/overlay-diff.js'
import { MediaType, type ImageConfig } from '../../src/image/oci.js'
import { ImageStore } from '../../src/image/store.js'

export function writeContext(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`

/** The uncompressed layer tars of an image, bottom first, as the store holds them. */
export async function layerTars(storeRoot: string, ref: string): Promise<Buffer[]> {
  const image = await new ImageStore({ root: storeRoot }).resolve(ref)
  const tars: Buffer[] = []
  for (const dir of image.layerDirs) {
    const chunks: Buffer[] = []
    for await (const chunk of tarStream(overlayDiff(dir))) chunks.push(chunk)
    tars.push(Buffer.concat(chunks))
  }
  return tars
}

/** An OCI layout at `dir` holding the store's image `ref`, tagged `tag`. */
export async function exportOciLayout(storeRoot: string, ref: string, dir: string, tag = 'latest'): Promise<void> {
  const store = new ImageStore({ root: storeRoot })
  const image = await store.resolve(ref)
  const blobs = join(dir, 'blobs', 'sha256')
  mkdirSync(blobs, { recursive: true })
  const put = (data: Buffer) => {
    const digest = sha256(data)
    writeFileSync(join(blobs, digest.slice(7)), data)
    return { digest, size: data.length }
  }
  const layers = []
  const diffIds = []
  for (const tar of await layerTars(storeRoot, ref)) {
    diffIds.push(sha256(tar))
    layers.push({ mediaType: MediaType.OCI_LAYER_GZIP, ...put(gzipSync(tar)) })
  }
  const config: ImageConfig = { ...image.config, rootfs: { type: 'layers', diff_ids: diffIds } }
  const configDesc = { mediaType: MediaType.OCI_CONFIG, ...put(Buffer.from(JSON.stringify(config))) }
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, config: configDesc, layers })))
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: MediaType.OCI_MANIFEST, ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  )
}
