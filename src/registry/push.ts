/**
 * `pushImage`: an image of the store to a registry, as `docker push`.
 *
 *   1. the image as it will be sent (../image/export-image.ts): the stored
 *      manifest and the layer blobs the store kept, byte for byte
 *   2. each layer blob, a few at a time: skipped when the repository has it
 *      (HEAD), mounted when another repository of the registry has it, else
 *      uploaded (push-blob.ts); then the config
 *   3. the manifest, last: a registry serves a tag only once everything it
 *      names is there
 *
 * Where each blob now is gets remembered (layer-sources.ts), so the next
 * push to another repository of that registry mounts instead of uploading.
 */
import { exportImage } from '../image/export-image.js'
import { parseReference } from '../image/reference.js'
import type { ImageStore } from '../image/store.js'
import { recordRepoDigest } from '../image/store-refs.js'
import { UsageError } from '../errors.js'
import { getLogger } from '../log.js'
import type { RegistryClient } from './client.js'
import { clientFor } from './client-for.js'
import { RegistryError } from './errors.js'
import { pushBlob, type BlobPushStatus } from './push-blob.js'
import type { RetryOptions } from './retry.js'
import { Semaphore } from './semaphore.js'

export interface PushOptions {
  store: ImageStore
  /** Registries (host[:port]) that may use plain HTTP or any TLS certificate. Loopback always may. */
  insecureRegistries?: readonly string[]
  progress?: (event: PushEvent) => void
  signal?: AbortSignal
  /** Layers uploaded at once. Default 3. */
  concurrency?: number
  retry?: RetryOptions
  /** Where config.json (credentials) is. Default: $DOCKER_CONFIG, else ~/.docker. */
  dockerConfigDir?: string
  idleTimeoutMs?: number
  /** Blobs bigger than this are sent in PATCH chunks. Default 64 MiB. */
  monolithicMax?: number
  /** Size of a PATCH chunk. Default 16 MiB. */
  chunkSize?: number
}

export type LayerPushStatus =
  /** Waiting for an upload slot. */
  | 'waiting'
  /** Asking the registry whether it has it, or sending it. */
  | 'pushing'
  | BlobPushStatus

export interface LayerPushProgress {
  digest: string
  size: number
  sent: number
  status: LayerPushStatus
  /** For 'mounted': the repository it was mounted from. */
  mountedFrom?: string
}

export type PushEvent =
  /** What will be pushed, layer by layer, bottom first. */
  | { type: 'resolved'; name: string; manifestDigest: string; rewritten: boolean; layers: LayerPushProgress[] }
  /** A layer changed status or sent bytes. The object is the same one each time. */
  | { type: 'layer'; layer: LayerPushProgress }
  /** The registry has the manifest: the tag is live. */
  | { type: 'done'; name: string; tag: string; manifestDigest: string; size: number }

export interface PushResult {
  /** The normalized reference: 127.0.0.1:5000/app:1.0. */
  name: string
  tag: string
  /** What the registry now serves for the tag. */
  manifestDigest: string
  /** Bytes of the manifest (docker push prints it). */
  size: number
  /** The image id, unchanged by the push. */
  configDigest: string
  /** True when the stored manifest named blobs the store does not hold and a new manifest was pushed (see export-image.ts). */
  rewritten: boolean
  layers: Array<{ digest: string; size: number; status: BlobPushStatus; mountedFrom?: string }>
}

export async function pushImage(reference: string, options: PushOptions): Promise<PushResult> {
  const ref = parseReference(reference)
  if (ref.digest !== undefined) {
    throw new UsageError(`cannot push a digest reference (${reference}): push a tag, the registry computes the digest`, { code: 'EBADREF' })
  }
  const tag = ref.tag ?? 'latest'
  const store = options.store
  const exported = await exportImage(store, ref.name).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'ENOIMAGE') {
      throw new RegistryError(`an image does not exist locally with the tag: ${ref.name}`, { code: 'ENOIMAGE', cause: err })
    }
    throw err
  })
  const emit = options.progress ?? (() => undefined)

  const controller = new AbortController()
  const onOuterAbort = (): void => controller.abort(options.signal?.reason)
  if (options.signal?.aborted) onOuterAbort()
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  const signal = controller.signal
  try {
    const { client, credentials } = await clientFor(ref.domain, options, signal)
    getLogger().debug({ ref: ref.name, host: client.host, user: credentials?.username }, 'pushing')
    const blobOptions = {
      ...(options.retry && { retry: options.retry }),
      ...(options.monolithicMax !== undefined && { monolithicMax: options.monolithicMax }),
      ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }),
      signal,
    }

    // a layer listed twice (an empty layer, say) is sent once
    const unique = [...new Map(exported.layers.map((l) => [l.descriptor.digest, l])).values()]
    const states = new Map<string, LayerPushProgress>(
      unique.map((l) => [l.descriptor.digest, { digest: l.descriptor.digest, size: l.descriptor.size, sent: 0, status: 'waiting' }]),
    )
    emit({ type: 'resolved', name: ref.name, manifestDigest: exported.manifestDigest, rewritten: exported.rewritten, layers: [...states.values()] })

    const slots = new Semaphore(Math.max(1, options.concurrency ?? 3))
    // where the layers were, the config most likely is too
    const configSources = new Set<string>()
    let firstError: unknown
    await Promise.allSettled(
      unique.map(async (layer) => {
        const state = states.get(layer.descriptor.digest)!
        const release = await slots.acquire()
        try {
          if (signal.aborted) return
          state.status = 'pushing'
          emit({ type: 'layer', layer: state })
          const mountFrom = (await store.layerSources(layer.chainId))
            .filter((s) => s.registry === ref.domain && s.digest === layer.descriptor.digest && s.repository !== ref.path)
            .map((s) => s.repository)
          for (const r of mountFrom) configSources.add(r)
          const result = await pushBlob(
            client,
            ref.path,
            { digest: layer.descriptor.digest, size: layer.descriptor.size, source: { path: layer.path } },
            {
              ...blobOptions,
              mountFrom,
              onProgress: (sent) => {
                state.sent = sent
                emit({ type: 'layer', layer: state })
              },
            },
          )
          state.status = result.status
          state.sent = state.size
          if (result.mountedFrom !== undefined) state.mountedFrom = result.mountedFrom
          emit({ type: 'layer', layer: state })
          await store.addLayerSource(layer.chainId, { digest: layer.descriptor.digest, registry: ref.domain, repository: ref.path })
        } catch (err) {
          if (firstError === undefined) {
            firstError = err
            controller.abort(err)
          }
        } finally {
          release()
        }
      }),
    )
    if (firstError !== undefined) throw firstError
    if (signal.aborted) throw signal.reason

    const config = exported.manifest.config
    await pushBlob(
      client,
      ref.path,
      { digest: config.digest, size: config.size, source: { bytes: exported.configBytes } },
      { ...blobOptions, mountFrom: [...configSources] },
    )
    await putManifest(client, ref.path, tag, exported.manifestBytes, exported.mediaType, exported.manifestDigest)

    await recordRepoDigest(store, ref.name, exported.image.configDigest, exported.manifestDigest)
    emit({ type: 'done', name: ref.name, tag, manifestDigest: exported.manifestDigest, size: exported.manifestBytes.length })
    return {
      name: ref.name,
      tag,
      manifestDigest: exported.manifestDigest,
      size: exported.manifestBytes.length,
      configDigest: exported.image.configDigest,
      rewritten: exported.rewritten,
      layers: [...states.values()].map((s) => ({
        digest: s.digest,
        size: s.size,
        status: s.status as BlobPushStatus,
        ...(s.mountedFrom !== undefined && { mountedFrom: s.mountedFrom }),
      })),
    }
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort)
    if (!signal.aborted) controller.abort()
  }
}

export async function putManifest(
  client: RegistryClient,
  repository: string,
  tag: string,
  bytes: Buffer,
  mediaType: string,
  digest: string,
): Promise<void> {
  const what = `manifest ${client.registry}/${repository}:${tag}`
  const res = await client.request({
    repository,
    actions: 'pull,push',
    method: 'PUT',
    path: `manifests/${tag}`,
    headers: { 'content-type': mediaType },
    body: bytes,
    what,
  })
  if (res.status !== 201) throw await client.failure(res, what)
  res.body.resume()
  const announced = res.headers['docker-content-digest']
  if (typeof announced === 'string' && announced !== digest) {
    throw new RegistryError(`${what}: the registry stored it as ${announced}, not ${digest}`)
  }
}
