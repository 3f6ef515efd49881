/**
 * `pullImage`: from a reference to an image in the store, as `docker pull`.
 *
 *   1. the manifest (by tag or digest); for an index, the platform's manifest
 *   2. the config, which lists the layers' diff ids, hence their chain ids
 *   3. the layers not in the store yet, a few at a time, each streamed from
 *      the registry through the store's unpackLayer: download, decompress
 *      and unpack overlap, and memory stays flat
 *   4. config and manifest into the store, then the name
 *
 * Every byte is checked against a digest before it counts, and the layers
 * are all or nothing (see fetch-layers.ts): a bad blob fails the pull,
 * naming its digest, with nothing of the image stored.
 *
 * Other processes may pull, build or prune at the same time: the pull
 * leases its image's layers and documents before it looks at what the store
 * has (a prune then spares them, store-lease.ts), and holds the ingest
 * locks of the layers it lacks while it fetches them (a second pull of the
 * same image waits, then finds them stored: each blob is downloaded once).
 */
import { chainIds as computeChainIds, isDigest } from '../image/digest.js'
import type { ImageConfig, ImageIndex, Platform } from '../image/oci.js'
import { formatPlatform, hostPlatform, parsePlatform, selectManifest } from '../image/platform.js'
import { parseReference } from '../image/reference.js'
import type { ImageStore } from '../image/store.js'
import { crashPoint } from '../crash-point.js'
import type { FileLock } from '../file-lock.js'
import { StoreLease } from '../image/store-lease.js'
import { lockLayers } from '../image/store-locks.js'
import { getLogger } from '../log.js'
import { readBlob } from './blob-stream.js'
import { clientFor } from './client-for.js'
import { PlatformNotFoundError, UnsupportedManifestError } from './errors.js'
import { fetchLayers } from './fetch-layers.js'
import { DOCUMENT_LIMIT, fetchManifest, type FetchedManifest } from './manifest.js'
import { CONFIG_TYPES, LAYER_TYPES } from './media-types.js'
import type { LayerProgress, PullEvent } from './progress.js'
import type { RetryOptions } from './retry.js'

export interface PullOptions {
  store: ImageStore
  /** "os/arch[/variant]" or a Platform. Default: the host's (linux/amd64 here). */
  platform?: string | Platform
  /** Registries (host[:port]) that may use plain HTTP or any TLS certificate. Loopback always may. */
  insecureRegistries?: readonly string[]
  progress?: (event: PullEvent) => void
  signal?: AbortSignal
  /** Layers downloaded at once. Default 3, as dockerd's max-concurrent-downloads. */
  concurrency?: number
  retry?: RetryOptions
  /** Where config.json (credentials) is. Default: $DOCKER_CONFIG, else ~/.docker. */
  dockerConfigDir?: string
  /** A connection silent this long is broken and retried. Default 60 s. */
  idleTimeoutMs?: number
}

export interface PulledLayer {
  digest: string
  size: number
  diffId: string
  chainId: string
  /** True when the store already had it. */
  existed: boolean
}

export interface PullResult {
  /** The normalized reference the image is stored under: docker.io/library/busybox:latest. */
  name: string
  manifestDigest: string
  /** The image id. */
  configDigest: string
  /** The digest the reference resolved to when it named a multi-platform index. */
  indexDigest?: string
  platform: Platform
  layers: PulledLayer[]
}

export async function pullImage(reference: string, options: PullOptions): Promise<PullResult> {
  const log = getLogger()
  const ref = parseReference(reference)
  const explicitPlatform = options.platform !== undefined
  const wanted =
    options.platform === undefined ? hostPlatform() : typeof options.platform === 'string' ? parsePlatform(options.platform) : options.platform
  const emit = options.progress ?? (() => undefined)

  // One controller for every request of this pull: a failed layer stops the others.
  const controller = new AbortController()
  const onOuterAbort = (): void => controller.abort(options.signal?.reason)
  if (options.signal?.aborted) onOuterAbort()
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  const signal = controller.signal
  const store = options.store
  const lease = new StoreLease(store.root)
  let layerLocks: FileLock[] = []
  try {
    const { client, credentials } = await clientFor(ref.domain, options, signal)
    const requestOptions = { ...(options.retry && { retry: options.retry }), signal }
    log.debug({ ref: ref.name, host: client.host, user: credentials?.username }, 'pulling')

    // 1. manifest, through the index if there is one
    const top = await fetchManifest(client, { repository: ref.path, reference: ref.digest ?? ref.tag ?? 'latest', name: ref.name, ...requestOptions })
    let image: FetchedManifest = top
    let indexDigest: string | undefined
    if (top.parsed.kind === 'index') {
      indexDigest = top.digest
      const entry = selectManifest(top.parsed.index, wanted)
      if (!entry) throw noPlatform(ref.name, wanted, top.parsed.index)
      image = await fetchManifest(client, {
        repository: ref.path,
        reference: entry.digest,
        expected: entry,
        name: `${ref.repository}@${entry.digest}`,
        ...requestOptions,
      })
    }
    if (image.parsed.kind !== 'image') {
      throw new UnsupportedManifestError(`${ref.name}: an index inside an index is not supported`)
    }
    const manifest = image.parsed.manifest

    // 2. config
    const configDesc = manifest.config
    if (!CONFIG_TYPES.has(configDesc.mediaType)) {
      throw new UnsupportedManifestError(`${ref.name} is not a container image: its config is ${configDesc.mediaType}`)
    }
    if (configDesc.size > DOCUMENT_LIMIT) {
      throw new UnsupportedManifestError(`${ref.name}: config ${configDesc.digest} is ${configDesc.size} bytes, more than the ${DOCUMENT_LIMIT} allowed`)
    }
    const configBytes = await readBlob(client, ref.path, configDesc, requestOptions)
    const config = parseConfig(configBytes, ref.name, configDesc.digest, manifest.layers.length)
    const platform: Platform = { os: config.os, architecture: config.architecture, ...(config.variant && { variant: config.variant }) }
    if (top.parsed.kind === 'image' && (config.os !== wanted.os || config.architecture !== wanted.architecture)) {
      // As Docker: an error when asked for a platform, a warning otherwise.
      const message = `${ref.name} is for ${formatPlatform(platform)}, not ${formatPlatform(wanted)}`
      if (explicitPlatform) throw new PlatformNotFoundError(message)
      emit({ type: 'warning', message })
    }
    for (const layer of manifest.layers) {
      if (!LAYER_TYPES.has(layer.mediaType)) {
        throw new UnsupportedManifestError(`${ref.name}: layer ${layer.digest} has unsupported media type ${layer.mediaType}`)
      }
    }

    // 3. layers
    const diffIds = config.rootfs.diff_ids
    const chainIds = computeChainIds(diffIds)
    const states: LayerProgress[] = manifest.layers.map((l) => ({ digest: l.digest, size: l.size, received: 0, status: 'waiting' }))
    await store.init()
    await lease.hold([...chainIds, configDesc.digest, image.digest])
    crashPoint('pull:after-lease')
    // wait for a pull of the same layers in another process, then take what it stored
    const lacking = (await Promise.all(chainIds.map(async (c) => ((await store.hasLayerWithBlob(c)) ? undefined : c)))).filter((c) => c !== undefined)
    layerLocks = await lockLayers(store.root, lacking, { signal })
    // a layer stored without its blob (by an older mini-run) is fetched again for it
    const existed = await Promise.all(chainIds.map((c) => options.store.hasLayerWithBlob(c)))
    existed.forEach((e, i) => {
      if (e) states[i]!.status = 'exists'
    })
    emit({ type: 'resolved', name: ref.name, manifestDigest: image.digest, platform: formatPlatform(platform), layers: states })
    await fetchLayers({
      client,
      repository: ref.path,
      store: options.store,
      layers: manifest.layers,
      diffIds,
      chainIds,
      states,
      emit,
      signal,
      abort: (err) => controller.abort(err),
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      ...(options.retry && { retry: options.retry }),
    })

    for (const l of layerLocks.splice(0)) l.release()
    crashPoint('pull:after-layers')

    // 4. documents, then the name
    await options.store.putBlob(configBytes, configDesc.digest)
    await options.store.putBlob(image.bytes, image.digest)
    crashPoint('pull:before-ref')
    // repo@<index digest> names the platform's manifest through the index
    await options.store.setRef(ref.name, image.digest, { fromRegistry: true, ...(indexDigest !== undefined && { index: top.bytes }) })
    // where these blobs are: a push to another repository of this registry mounts them from here
    for (const [i, layer] of manifest.layers.entries()) {
      await options.store.addLayerSource(chainIds[i]!, { digest: layer.digest, registry: ref.domain, repository: ref.path })
    }
    emit({ type: 'done', name: ref.name, manifestDigest: image.digest, configDigest: configDesc.digest })
    return {
      name: ref.name,
      manifestDigest: image.digest,
      configDigest: configDesc.digest,
      ...(indexDigest && { indexDigest }),
      platform,
      layers: manifest.layers.map((l, i) => ({
        digest: l.digest,
        size: l.size,
        diffId: diffIds[i]!,
        chainId: chainIds[i]!,
        existed: existed[i]!,
      })),
    }
  } finally {
    for (const l of layerLocks) l.release()
    lease.release()
    options.signal?.removeEventListener('abort', onOuterAbort)
    if (!signal.aborted) controller.abort() // nothing of this pull goes on after it returns
  }
}

function parseConfig(bytes: Buffer, name: string, digest: string, layerCount: number): ImageConfig {
  let config: ImageConfig
  try {
    config = JSON.parse(bytes.toString('utf8')) as ImageConfig
  } catch (err) {
    throw new UnsupportedManifestError(`${name}: config ${digest} is not valid JSON`, { cause: err })
  }
  const diffIds: unknown = config?.rootfs?.diff_ids
  if (!Array.isArray(diffIds) || diffIds.length !== layerCount) {
    throw new UnsupportedManifestError(
      `${name}: config ${digest} lists ${Array.isArray(diffIds) ? diffIds.length : 'no'} diff_ids for ${layerCount} layers`,
    )
  }
  for (const d of diffIds) {
    if (typeof d !== 'string' || !isDigest(d)) throw new UnsupportedManifestError(`${name}: config ${digest} has an invalid diff_id ${JSON.stringify(d)}`)
  }
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') {
    throw new UnsupportedManifestError(`${name}: config ${digest} names no os or architecture`)
  }
  return config
}

function noPlatform(name: string, wanted: Platform, index: ImageIndex): PlatformNotFoundError {
  const available = index.manifests
    .map((d) => d.platform)
    .filter((p): p is Platform => p !== undefined && p.os !== 'unknown')
    .map(formatPlatform)
  return new PlatformNotFoundError(
    `no matching manifest for ${formatPlatform(wanted)} in ${name}` +
      (available.length ? ` (it has ${[...new Set(available)].join(', ')})` : ''),
  )
}
