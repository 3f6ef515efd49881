/**
 * The image a build has made so far: a full OCI image config (its history
 * and diff ids included) and the descriptors of its layers. A step turns
 * one state into the next; nothing is written to the store for a state
 * but its layers (and a cache entry), until the last one is committed as an
 * image: config and manifest blobs, then the names (store.setRef).
 *
 * The id of a state is the digest of its config, as Docker's image id is:
 * the same steps from the same cache give the same id.
 */
import { UsageError } from '../errors.js'
import { chainIds, sha256Digest } from '../image/digest.js'
import { MediaType, type ContainerConfig, type Descriptor, type HistoryEntry, type ImageConfig, type ImageManifest } from '../image/oci.js'
import { formatPlatform, hostPlatform } from '../image/platform.js'
import type { ImageStore } from '../image/store.js'
import type { StoreLease } from '../image/store-lease.js'
import type { ResolvedImage } from '../image/store-types.js'
import { DEFAULT_PATH } from '../runtime/spec/search-path.js'
import type { HealthConfig } from '../runtime/health/health-config.js'
import { configMapsInGoOrder } from '../text-order.js'

export type { HealthConfig }

/** Docker's config fields, including the ones `run` does not read. */
export interface BuildConfig extends ContainerConfig {
  Healthcheck?: HealthConfig
  Shell?: string[]
  OnBuild?: string[] | null
}

export interface BuildState {
  config: ImageConfig & { config: BuildConfig }
  layers: Descriptor[]
}

export function stateId(state: BuildState): string {
  return sha256Digest(configBlob(state.config))
}

/** The config as Docker's builder writes it: its maps (labels, ports, volumes) in Go's key order. */
export function configBlob(config: ImageConfig): Buffer {
  return Buffer.from(JSON.stringify(config.config ? { ...config, config: configMapsInGoOrder(config.config) } : config))
}

export function stateChainIds(state: BuildState): string[] {
  return chainIds(state.config.rootfs.diff_ids)
}

/** A base image from the store, as the first state of a stage. */
export function stateFromImage(image: ResolvedImage): BuildState {
  const host = hostPlatform()
  if (image.config.os !== host.os || image.config.architecture !== host.architecture) {
    const platform = formatPlatform({ os: image.config.os, architecture: image.config.architecture, ...(image.config.variant ? { variant: image.config.variant } : {}) })
    throw new UsageError(`image ${image.name} is for ${platform}: a build runs its steps on this ${formatPlatform(host)} machine, without emulation`)
  }
  const config = structuredClone(image.config) as BuildState['config']
  config.config = { ...(config.config ?? {}) }
  config.history = [...(config.history ?? [])]
  const layers = image.manifest.layers.map((d) => ({
    // the same bytes: Docker's media type for a gzipped layer is OCI's
    mediaType: d.mediaType === MediaType.DOCKER_LAYER_GZIP ? MediaType.OCI_LAYER_GZIP : d.mediaType,
    digest: d.digest,
    size: d.size,
  }))
  return { config, layers }
}

/** FROM scratch: no layers, and BuildKit's default PATH. */
export function scratchState(): BuildState {
  const host = hostPlatform()
  return {
    config: {
      architecture: host.architecture,
      os: host.os,
      ...(host.variant ? { variant: host.variant } : {}),
      config: { Env: [`PATH=${DEFAULT_PATH}`] },
      rootfs: { type: 'layers', diff_ids: [] },
      history: [],
    },
    layers: [],
  }
}

/** The next state: the config changed by `change`, a history entry, and a layer if one was made. */
export function nextState(
  state: BuildState,
  step: { createdBy: string; created: string; change?: (c: BuildConfig) => void; layer?: { diffId: string; descriptor: Descriptor } },
): BuildState {
  const config = structuredClone(state.config)
  step.change?.(config.config)
  const history: HistoryEntry = { created: step.created, created_by: step.createdBy, ...(step.layer ? {} : { empty_layer: true }) }
  config.history = [...(config.history ?? []), history]
  config.created = step.created
  if (step.layer) config.rootfs = { type: 'layers', diff_ids: [...config.rootfs.diff_ids, step.layer.diffId] }
  return { config, layers: step.layer ? [...state.layers, step.layer.descriptor] : state.layers }
}

/**
 * Write the state's config and manifest into the store and point the names
 * at it (none: the image id, an untagged image). Returns the ids.
 */
export async function commitState(
  store: ImageStore,
  state: BuildState,
  names: readonly string[],
  lease: StoreLease,
): Promise<{ id: string; manifestDigest: string }> {
  const config = configBlob(state.config)
  const id = sha256Digest(config)
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: id, size: config.length },
    layers: state.layers,
  }
  const manifestBlob = Buffer.from(JSON.stringify(manifest))
  const manifestDigest = sha256Digest(manifestBlob)
  // no ref names them until the last line
  await lease.hold([id, manifestDigest])
  await store.putBlob(config, id)
  await store.putBlob(manifestBlob, manifestDigest)
  for (const name of names.length ? names : [id]) await store.setRef(name, manifestDigest)
  return { id, manifestDigest }
}
