/**
 * A container's volumes: the planned volume mounts (volumes.ts) become
 * binds of the volumes' _data directories, and the volume store
 * (volume-store.ts) records the container as their user.
 *
 * Under --userns=auto (as root) a volume is not chowned to the container's
 * range: its mount is idmapped like the image's layers (the OCI mount's
 * uidMappings; plan-rootfs.ts attaches it with move_mount). Its files keep
 * the ids they have on disk, shown inside as those same ids: a volume works
 * alike in every container that mounts it, whatever range each one got,
 * and the volume's directory stays private to root.
 */
import { UsageError } from '../../errors.js'
import { containerVolumeEvent } from '../../events/resource-events.js'
import { isRoot } from '../../paths.js'
import { randomHex } from '../../random.js'
import { runHelperSync } from '../../rootless/helper-process.js'
import { ownSubordinateIds } from '../../rootless/subordinate-ids.js'
import { copyImageDir } from './copy-image-dir.js'
import { hasMountOptions, localVolumeMount } from '../spec/local-volume.js'
import type { IdMapping, SpecMount } from '../spec/spec.js'
import type { VolumeClaims, VolumeUse } from '../plan/steps.js'
import { claimVolumes, inspectVolume, releaseVolumes, volumeDataDir } from './volume-store.js'
import type { PlannedVolume } from '../spec/volumes.js'

/** What a container's state records of each volume it mounts. */
export interface ContainerVolume {
  name: string
  destination: string
}

export type VolumeMount = VolumeUse

/**
 * The options a volume is mounted with: those it was made with if it
 * exists (a flag's are then ignored, as Docker ignores them), else the
 * flag's, which the claim makes it with.
 */
function volumeOptions(storeRoot: string, name: string | undefined, given: Record<string, string> | undefined): Record<string, string> | undefined {
  if (name === undefined) return given
  try {
    return inspectVolume(storeRoot, name).options
  } catch {
    return given
  }
}

/**
 * The spec mounts of `planned`, in order, volumes given their names
 * (anonymous ones a random 64-hex-digit name, as Docker's) and sources. A
 * volume with the local driver's options (its own if it exists, else the
 * flag's) is mounted from them, not bound from _data: spec/local-volume.ts.
 */
export function resolveVolumes(
  planned: PlannedVolume[],
  storeRoot: string,
  idmap?: { uid: IdMapping[]; gid: IdMapping[] },
): { mounts: SpecMount[]; volumes: VolumeMount[] } {
  const volumes: VolumeMount[] = []
  const mounts = planned.map(({ mount, volume }): SpecMount => {
    if (!volume) return mount
    const name = volume.name ?? randomHex(32)
    const options = volumeOptions(storeRoot, volume.name, volume.options)
    if (volume.subpath !== undefined) checkSubpathMount(name, options, idmap !== undefined)
    volumes.push({
      name, destination: mount.destination, anonymous: volume.name === undefined, nocopy: volume.nocopy,
      ...(options ? { options } : {}), ...(volume.labels ? { labels: volume.labels } : {}), ...(volume.subpath !== undefined ? { subpath: volume.subpath } : {}),
    })
    if (hasMountOptions(options)) return localVolumeMount(options, mount.destination, mount.options?.includes('ro') ?? false)
    return {
      ...mount,
      source: volumeDataDir(storeRoot, name),
      ...(idmap ? { uidMappings: idmap.uid, gidMappings: idmap.gid } : {}),
    }
  })
  return { mounts, volumes }
}

/**
 * volume-subpath is bound from _data by the child, resolved beneath it
 * (plan-rootfs.ts). A volume mounted from its options has no _data to
 * resolve in before the mount, and an idmapped volume is opened by the
 * runtime on the host (open_tree), where no such resolution is made: both
 * are refused rather than resolved unsafely.
 */
function checkSubpathMount(name: string, options: Record<string, string> | undefined, idmapped: boolean): void {
  if (hasMountOptions(options)) throw new UsageError(`volume ${name}: volume-subpath is not supported for a volume mounted from its options (type, device, o)`)
  if (idmapped) throw new UsageError(`volume ${name}: volume-subpath is not supported with --userns=auto`)
}

/**
 * Create, pre-populate (from `layers`, top first, when given) and claim
 * the volumes for a container.
 */
export function claimContainerVolumes(o: VolumeClaims): void {
  const { layers } = o
  const created = claimVolumes(
    o.storeRoot,
    o.stateRoot,
    o.container,
    o.volumes.map((v) => ({
      name: v.name,
      anonymous: v.anonymous,
      ...(v.options ? { options: v.options } : {}),
      ...(v.labels ? { labels: v.labels } : {}),
      ...(v.subpath !== undefined ? { subpath: v.subpath } : {}),
      // a volume mounted from its options is filled by nothing: its _data is not what the container sees
      ...(layers && !v.nocopy && !hasMountOptions(v.options) ? { populate: (data: string) => populateVolume(layers, v.destination, data) } : {}),
    })),
  )
  // Docker's create of a volume a container makes (volume/service/store.go create)
  for (const name of created) containerVolumeEvent(o.stateRoot, 'create', name)
}

/**
 * Docker's pre-population of an empty volume from the image. As root the
 * copies keep their owners; rootless with subordinate ids too, copied as
 * root of the user's namespace (rootless/userns-helper.ts), where the
 * layers' shifted owners are the image's ids again; with a single id
 * every copy is the user's, root inside, like the layers themselves.
 */
function populateVolume(layers: string[], relPath: string, data: string): void {
  const ids = ownSubordinateIds()
  if (ids) runHelperSync(ids, { op: 'copy-image-dir', layers, relPath, dest: data }, `fill volume ${data} from the image`)
  else copyImageDir(layers, relPath, data, { chown: isRoot() })
}

/**
 * The container is gone: drop its claims, and its anonymous volumes with
 * removeAnonymous (each a destroy event in stateRoot's log, when given).
 */
export function releaseContainerVolumes(storeRoot: string, id: string, volumes: ContainerVolume[] | undefined, removeAnonymous: boolean, stateRoot?: string): string[] {
  if (!volumes?.length) return []
  const removed = releaseVolumes(storeRoot, id, volumes.map((v) => v.name), { removeAnonymous })
  if (stateRoot !== undefined) for (const name of removed) containerVolumeEvent(stateRoot, 'destroy', name)
  return removed
}

/**
 * Docker's mount of each volume at a start, before the container's start
 * event (daemon/volumes_unix.go setupMounts): a volume's propagation is
 * Docker's default for one, none (''); read/write says whether :ro was given.
 */
export function volumeMountEvents(stateRoot: string, c: { id: string; volumes?: ContainerVolume[] | undefined; spec?: { mounts: SpecMount[] } | undefined }): void {
  for (const v of c.volumes ?? []) {
    const readOnly = c.spec?.mounts.find((m) => m.destination === v.destination)?.options?.includes('ro') === true
    containerVolumeEvent(stateRoot, 'mount', v.name, { container: c.id, destination: v.destination, propagation: '', 'read/write': String(!readOnly) })
  }
}

/** And its unmount once it has exited, before its die (container.UnmountVolumes). */
export function volumeUnmountEvents(stateRoot: string, c: { id: string; volumes?: ContainerVolume[] | undefined }): void {
  for (const v of c.volumes ?? []) containerVolumeEvent(stateRoot, 'unmount', v.name, { container: c.id })
}
