/**
 * `commit`: a new image from a container, as `docker commit` makes it: the
 * container's image, plus one layer that is the container's writable
 * layer, with the container's config.
 *
 * The layer is made the way a build's RUN step makes one (run-step.ts):
 * the overlay's upper directory read as layer entries (overlay-diff.ts,
 * whiteouts become OCI ".wh." files and opaque directories
 * ".wh..wh..opq"), written as a deterministic tar and unpacked into the
 * store by its verified path (layer-tar.ts); the image is then committed
 * like a build's last state (image-state.ts). Only the mount points the
 * runtime made are left out (container-layer.ts), and owners are the
 * container's ids, whatever host ids its user namespace gave them.
 *
 * Docker pauses a running container meanwhile (--pause, its default), so
 * that the layer is one moment of it, not files from several.
 */
import { overlayDiff } from '../build/overlay-diff.js'
import { commitLayerBlob, writeLayerBlob, type LayerFile } from '../build/layer-tar.js'
import { commitState, nextState, stateFromImage, type BuildConfig } from '../build/image-state.js'
import { MiniRunError } from '../errors.js'
import { ImageStore } from '../image/store.js'
import { StoreLease } from '../image/store-lease.js'
import type { ResolvedImage } from '../image/store-types.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { configExposedPorts } from '../runtime/container/filter-ports.js'
import { containerId } from '../runtime/spec/id-maps.js'
import { applyChanges } from './commit-changes.js'
import { openContainerLayer, readError, type ContainerLayer } from './container-layer.js'
import { whileFrozen } from './while-frozen.js'

export interface CommitOptions {
  storeRoot: string
  stateRoot: string
  /** Normalized names for the image (none: an untagged image, known by its id). */
  names: string[]
  /** -m: the history entry's comment. */
  message?: string
  /** -a: the image's author. */
  author?: string
  /** -c: Dockerfile instructions for the config (commit-changes.ts). */
  changes?: string[]
  /** -p: freeze a running container meanwhile (Docker's default). */
  pause?: boolean
}

/**
 * The config the container runs with, as Docker commits it (its
 * container.Config): the image's, with the container's command, Env,
 * working directory, user, labels, ports and health check.
 */
export function containerConfig(c: ContainerInfo, image: BuildConfig): BuildConfig {
  const config: BuildConfig = structuredClone(image)
  const given = c.startInput?.given
  const defaulted = new Set(given?.envDefaults ?? [])
  const spec = c.spec
  if (spec) config.Env = spec.process.env.filter((e) => !defaulted.has(e.slice(0, e.indexOf('='))))
  // the state keeps the whole argv: the image's entrypoint, unless --entrypoint replaced it
  const entrypoint = image.Entrypoint ?? []
  if (entrypoint.every((w, n) => c.command[n] === w)) {
    config.Cmd = c.command.slice(entrypoint.length)
  } else {
    config.Entrypoint = c.command.slice(0, 1)
    config.Cmd = c.command.slice(1)
  }
  if (spec && !(spec.process.cwd === '/' && !image.WorkingDir)) config.WorkingDir = spec.process.cwd
  if (given?.user !== undefined) config.User = given.user
  if (c.labels && Object.keys(c.labels).length) config.Labels = { ...c.labels }
  const ports = configExposedPorts(c.startInput?.network)
  if (ports.length) config.ExposedPorts = { ...(image.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) }
  if (c.healthcheck) config.Healthcheck = c.healthcheck
  return config
}

/** The writable layer's entries for the new layer, owners as the container's ids, mount points left out. */
function* layerEntries(layer: ContainerLayer): Generator<LayerFile> {
  const maps = layer.upperIdMaps
  for (const f of overlayDiff(layer.upperDir)) {
    if (f.type !== 'whiteout' && f.type !== 'opaque' && layer.isMountStub(f.path)) continue
    yield { ...f, uid: containerId(maps?.uid, f.uid), gid: containerId(maps?.gid, f.gid) }
  }
}

export async function commitContainer(c: ContainerInfo, o: CommitOptions): Promise<{ id: string }> {
  const layer = openContainerLayer(c, o.storeRoot)
  const store = new ImageStore({ root: o.storeRoot })
  let image: ResolvedImage
  try {
    image = await store.resolve(c.imageId ?? c.image ?? '')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    throw new MiniRunError(`container ${c.id.slice(0, 12)}: its image: ${(err as Error).message}`, { ...(typeof code === 'string' ? { code } : {}), cause: err })
  }
  const base = stateFromImage(image)
  // a --change that is wrong is refused before any layer is written
  applyChanges(structuredClone(base.config.config), o.changes ?? [])
  const lease = new StoreLease(o.storeRoot)
  try {
    const made = await whileFrozen(c, 'commit', o.pause !== false, () => writeLayerBlob(store, layerEntries(layer))).catch((err: unknown) => {
      throw readError(layer, err)
    })
    const { descriptor } = await commitLayerBlob(store, made, base.config.rootfs.diff_ids, lease)
    const created = new Date().toISOString()
    const state = nextState(base, {
      createdBy: c.command.join(' '),
      created,
      layer: { diffId: made.diffId, descriptor },
      change: (config) => {
        Object.assign(config, containerConfig(c, config))
        applyChanges(config, o.changes ?? [])
      },
    })
    const last = state.config.history!.at(-1)!
    if (o.author) last.author = state.config.author = o.author
    if (o.message) last.comment = o.message
    return { id: (await commitState(store, state, o.names, lease)).id }
  } finally {
    lease.release()
  }
}
