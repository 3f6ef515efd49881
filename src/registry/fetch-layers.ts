/**
 * Downloading and unpacking an image's layers, all or nothing.
 *
 * Each layer not in the store streams from the registry through the store's
 * unpackLayer, a few at a time. The store commits a layer when its stream
 * ends; each stream holds back its end (the "gate") until every layer of
 * the image has been downloaded and verified. So a bad blob, whichever it
 * is, fails the pull with nothing of the image committed, and a pull killed
 * mid-way leaves only the store's tmp/ work. A layer gives its download slot
 * back when its last byte is verified, so waiting at the gate never starves
 * the layers still to download.
 */
import { crashPoint } from '../crash-point.js'
import type { Descriptor } from '../image/oci.js'
import type { ImageStore } from '../image/store.js'
import { blobStream } from './blob-stream.js'
import type { RegistryClient } from './client.js'
import type { LayerProgress, PullEvent } from './progress.js'
import type { RetryOptions } from './retry.js'
import { Semaphore } from './semaphore.js'

export interface FetchLayersRequest {
  client: RegistryClient
  repository: string
  store: ImageStore
  /** The manifest's layers, bottom first, with their diff ids and chain ids. */
  layers: Descriptor[]
  diffIds: string[]
  chainIds: string[]
  /** One per layer; those with status "exists" are skipped. Updated in place. */
  states: LayerProgress[]
  emit: (event: PullEvent) => void
  signal: AbortSignal
  /** Stops every other request of the pull: called once, on the first failure. */
  abort: (reason: unknown) => void
  /** Default 3, as dockerd's max-concurrent-downloads. */
  concurrency?: number
  retry?: RetryOptions
}

export async function fetchLayers(req: FetchLayersRequest): Promise<void> {
  const { layers, states, emit, signal } = req
  const todo = layers.map((_, i) => i).filter((i) => states[i]!.status !== 'exists')
  let unverified = todo.length
  let openGate!: () => void
  let closeGate!: (err: unknown) => void
  const gate = new Promise<void>((resolve, reject) => {
    openGate = resolve
    closeGate = reject
  })
  gate.catch(() => undefined) // each layer sees the rejection; it is reported once, below
  if (unverified === 0) openGate()

  let firstError: unknown
  const fail = (err: unknown): void => {
    if (firstError !== undefined) return
    firstError = err
    closeGate(err)
    req.abort(err)
  }
  const slots = new Semaphore(Math.max(1, req.concurrency ?? 3))

  await Promise.allSettled(
    todo.map(async (i) => {
      const layer = layers[i]!
      const state = states[i]!
      let counted = false
      const verified = (): void => {
        if (counted) return
        counted = true
        if (--unverified === 0) openGate()
      }
      const release = await slots.acquire()
      try {
        if (signal.aborted) return
        state.status = 'downloading'
        emit({ type: 'layer', layer: state })
        const stream = blobStream(req.client, req.repository, layer, {
          ...(req.retry && { retry: req.retry }),
          signal,
          onProgress: (received) => {
            crashPoint('pull:mid-layer')
            state.received = received
            emit({ type: 'layer', layer: state })
          },
          beforeEnd: async () => {
            release()
            state.status = 'verified'
            emit({ type: 'layer', layer: state })
            verified()
            await gate
          },
        })
        await req.store.unpackLayer(stream, {
          digest: layer.digest,
          size: layer.size,
          mediaType: layer.mediaType,
          diffId: req.diffIds[i]!,
          chainId: req.chainIds[i]!,
          signal,
        })
        verified() // the store skips the stream unread when another pull has just stored the layer
        state.status = 'complete'
        state.received = state.size
        emit({ type: 'layer', layer: state })
      } catch (err) {
        fail(err)
      } finally {
        release()
      }
    }),
  )
  // The reason is the first failure (fail() aborts with it) or the caller's own abort.
  if (signal.aborted) throw signal.reason
  if (firstError !== undefined) throw firstError
}
