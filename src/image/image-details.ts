/**
 * What `mini-run image inspect` shows of an image: its names, the
 * repository digests its manifests have, its config and sizes.
 */
import { isDigest } from './digest.js'
import type { ImageConfig } from './oci.js'
import { familiarRepository, parseReference } from './reference.js'
import { listRefs } from './refs.js'
import type { ImageStore } from './store.js'

export interface ImageDetails {
  /** The image id: the config's digest. */
  id: string
  /** The name it was asked by (or its id). */
  name: string
  manifestDigest: string
  /** Familiar names: "busybox:latest", "127.0.0.1:5000/app:1". */
  repoTags: string[]
  /** "repository@manifest digest" for each repository a registry has it in. */
  repoDigests: string[]
  config: ImageConfig
  /** Bytes of file content of its layers. */
  size: number
  chainIds: string[]
  layerDirs: string[]
  /** The last time a name was pointed at it. */
  lastTagTime?: string
}

export async function imageDetails(store: ImageStore, ref: string): Promise<ImageDetails> {
  const image = await store.resolve(ref)
  const refs = (await listRefs(store.refsDir)).filter((r) => r.configDigest === image.configDigest)
  const repoTags: string[] = []
  const repoDigests = new Set<string>()
  let lastTagTime: string | undefined
  for (const r of refs) {
    if (r.updated && (lastTagTime === undefined || r.updated > lastTagTime)) lastTagTime = r.updated
    if (isDigest(r.name)) continue
    const parsed = parseReference(r.name)
    const familiar = familiarRepository(parsed.repository)
    if (parsed.digest === undefined) repoTags.push(`${familiar}:${parsed.tag}`)
    // a pinned name came from a pull or a load; a tag has a digest only if
    // a registry has it (a pull, a push, a load), as Docker's [] for a build
    const digest = parsed.digest ?? (r.repoDigest === undefined ? r.manifestDigest : r.repoDigest ?? undefined)
    if (digest !== undefined) repoDigests.add(`${familiar}@${digest}`)
  }
  let size = 0
  for (const chainId of image.chainIds) size += (await store.getLayer(chainId)).size
  return {
    id: image.configDigest,
    name: image.name,
    manifestDigest: image.manifestDigest,
    repoTags: repoTags.sort(),
    repoDigests: [...repoDigests].sort(),
    config: image.config,
    size,
    chainIds: image.chainIds,
    layerDirs: image.layerDirs,
    ...(lastTagTime !== undefined && { lastTagTime }),
  }
}
