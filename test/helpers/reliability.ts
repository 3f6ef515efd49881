/**
 * Shared by the reliability tests (issue 13): images pushed to the test
 * registry that `run` can start (the busybox fixture below, extra layers on
 * top), and small waiting helpers.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { digestHex } from '../../src/image/digest.js'
import { MediaType } from '../../src/image/oci.js'
import { writeOciLayout, type LayerSpec } from '../../src/image/oci-layout.js'
import { blobOf, pushBlob, pushManifest } from './registry-images.js'
import { BUSYBOX_ROOTFS } from './test-env.js'

export interface PushedImage {
  /** host/repo:tag */
  ref: string
  manifestDigest: string
  /** The layers' blob digests, bottom first. */
  layerDigests: string[]
}

/** A layer of one file of random (incompressible) bytes. */
export function randomLayer(name: string, bytes: number): LayerSpec {
  return [{ path: name, type: 'file', content: randomBytes(bytes) }]
}

/** Push busybox plus `extra` layers as host/repo:tag, through the distribution API. */
export async function pushRunnable(registryUrl: string, host: string, repo: string, tag: string, extra: LayerSpec[], workDir: string): Promise<PushedImage> {
  const dir = await mkdtemp(join(workDir, 'layout-'))
  try {
    const result = await writeOciLayout(dir, { config: { config: { Cmd: ['sh'] } }, layers: [{ dir: BUSYBOX_ROOTFS }, ...extra] })
    const blob = async (digest: string) => blobOf(await readFile(join(dir, 'blobs', 'sha256', digestHex(digest))))
    for (const d of [result.configDigest, ...result.layers.map((l) => l.digest)]) await pushBlob(registryUrl, repo, await blob(d))
    await pushManifest(registryUrl, repo, tag, { ...(await blob(result.manifestDigest)), mediaType: MediaType.OCI_MANIFEST })
    return { ref: `${host}/${repo}:${tag}`, manifestDigest: result.manifestDigest, layerDigests: result.layers.map((l) => l.digest) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export { until } from './until.js'
