/**
 * An image as push and save send it: the manifest, the config, and for
 * each layer the blob the store kept (layers/<chainId>/blob), exactly the
 * bytes whose digest the manifest names.
 *
 * Why kept blobs and not a tar made again from the unpacked tree: the image
 * id is the config's digest, and the config lists each layer's diff id, the
 * digest of its uncompressed tar. A tar written again from a directory
 * differs in entry order, header fields, padding and mtimes from the one the
 * image was built with, so its diff id, the config and the image id would
 * all change, and a gzip run again rarely gives the same compressed bytes
 * either (containerd keeps its content store next to its snapshots for the
 * same reason). The store keeps each blob as it arrives, so what is pushed
 * or saved is byte for byte what was pulled or loaded: same manifest digest.
 *
 * Two images can share a layer (same diff id) received with different
 * compressions; the store keeps the first blob. An image whose manifest
 * names the other one gets a new manifest naming the blob we hold: a new
 * manifest digest, the same config, so the same image id.
 */
import { MiniRunError } from '../errors.js'
import { sha256Digest } from './digest.js'
import type { Compression } from './decompress.js'
import { MediaType, type Descriptor, type ImageManifest } from './oci.js'
import type { ImageStore } from './store.js'
import type { ResolvedImage } from './store-types.js'

export interface ExportLayer {
  chainId: string
  diffId: string
  /** The descriptor the exported manifest lists. */
  descriptor: Descriptor
  /** The blob's file in the store. */
  path: string
}

export interface ExportedImage {
  image: ResolvedImage
  /** The manifest as exported: the stored one, or a new one (see `rewritten`). */
  manifest: ImageManifest
  manifestBytes: Buffer
  manifestDigest: string
  mediaType: string
  configBytes: Buffer
  layers: ExportLayer[]
  /** The stored manifest named layer blobs the store does not hold; the one above names those it holds. */
  rewritten: boolean
}

const OCI_LAYER_TYPE: Record<Compression, string> = {
  gzip: MediaType.OCI_LAYER_GZIP,
  zstd: MediaType.OCI_LAYER_ZSTD,
  none: MediaType.OCI_LAYER,
}

/** The image `ref` designates, with everything needed to send it; throws ENOLAYERBLOB naming a layer without its blob. */
export async function exportImage(store: ImageStore, ref: string): Promise<ExportedImage> {
  const image = await store.resolve(ref)
  const manifestBytes = await store.getBlob(image.manifestDigest)
  const configBytes = await store.getBlob(image.configDigest)
  const stored = image.manifest
  const layers: ExportLayer[] = []
  let rewritten = false
  for (const [i, chainId] of image.chainIds.entries()) {
    const record = await store.getLayer(chainId)
    if (!(await store.hasLayerBlob(chainId))) {
      throw new MiniRunError(
        `image ${image.name}: layer ${chainId} was stored without its blob (by an older mini-run); pull or load the image again to keep it`,
        { code: 'ENOLAYERBLOB' },
      )
    }
    const listed = stored.layers[i]!
    const same = listed.digest === record.digest && listed.size === record.compressedSize
    if (!same) rewritten = true
    layers.push({
      chainId,
      diffId: record.diffId,
      descriptor: same ? listed : { mediaType: OCI_LAYER_TYPE[record.compression], digest: record.digest, size: record.compressedSize },
      path: store.layerBlobPath(chainId),
    })
  }
  if (!rewritten) {
    return {
      image,
      manifest: stored,
      manifestBytes,
      manifestDigest: image.manifestDigest,
      mediaType: stored.mediaType ?? MediaType.OCI_MANIFEST,
      configBytes,
      layers,
      rewritten,
    }
  }
  // OCI media types throughout: Docker's schema 2 has no type for a zstd or
  // an uncompressed layer, and a manifest must not mix the two families.
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { ...stored.config, mediaType: MediaType.OCI_CONFIG },
    layers: layers.map((l) => ({ ...l.descriptor, mediaType: ociLayerType(l.descriptor.mediaType) })),
    ...(stored.annotations && { annotations: stored.annotations }),
  }
  layers.forEach((l, i) => (l.descriptor = manifest.layers[i]!))
  const bytes = Buffer.from(JSON.stringify(manifest))
  const digest = sha256Digest(bytes)
  await store.putBlob(bytes, digest)
  return { image, manifest, manifestBytes: bytes, manifestDigest: digest, mediaType: MediaType.OCI_MANIFEST, configBytes, layers, rewritten }
}

function ociLayerType(mediaType: string): string {
  if (mediaType === MediaType.DOCKER_LAYER_GZIP) return MediaType.OCI_LAYER_GZIP
  if (mediaType === MediaType.DOCKER_FOREIGN_LAYER_GZIP) return MediaType.OCI_LAYER_NONDIST_GZIP
  return mediaType
}
