/**
 * What a rootless start checks before anything is made: that the image's
 * layers belong to the ids its user namespace maps, that its user exists
 * there, and that its -v sources are the user's to read. Each refusal is
 * one line; what only loses something (image owners) is a warning.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import { currentRootlessIds, isMapped, sameMaps, type RootlessIds } from '../../rootless/subordinate-ids.js'
import type { IdMapping, Spec } from '../spec/spec.js'

interface LayerIds {
  idMaps?: { uid: IdMapping[]; gid: IdMapping[] }
}

function layerRecord(fsDir: string): LayerIds {
  try {
    return JSON.parse(readFileSync(join(dirname(fsDir), 'layer.json'), 'utf8')) as LayerIds
  } catch {
    return {} // a layer outside a store (a test's), or an older record: judged by its owner below
  }
}

function range(maps: IdMapping[]): string {
  const sub = maps.find((m) => m.containerID === 1)
  return sub ? `${sub.hostID}-${sub.hostID + sub.size - 1}` : '(none)'
}

/**
 * The image's layers (fs dirs, top first) against this user's maps. Layers
 * unpacked with other subordinate ids, or by root, are refused: their files
 * would show as nobody and could not be copied up. Layers unpacked before
 * the user had subordinate ids work (every file is the user's, root inside)
 * but lost their owners: the warning says so.
 */
export function checkRootlessLayers(layers: string[], ids: RootlessIds, image: string): string | undefined {
  const uid = process.getuid!()
  let unshifted = false
  for (const layer of layers) {
    const { idMaps } = layerRecord(layer)
    if (idMaps) {
      if (ids.kind === 'subordinate' && sameMaps(idMaps.uid, ids.uid) && sameMaps(idMaps.gid, ids.gid)) continue
      throw new MiniRunError(
        `image ${image} was unpacked for the subordinate ids ${range(idMaps.uid)}, which /etc/subuid no longer gives you: pull or load it into another store (--root DIR)`,
        { code: 'ELAYERIDS' },
      )
    }
    const owner = statSync(layer).uid
    if (owner !== uid) {
      throw new MiniRunError(`layer ${layer} of image ${image} belongs to uid ${owner}, not to you (uid ${uid}): a store unpacked by ${owner === 0 ? 'root' : 'another user'}; use a store of your own (--root DIR)`, {
        code: 'ELAYERIDS',
      })
    }
    unshifted = true
  }
  if (unshifted && ids.kind === 'subordinate') {
    return `image ${image} was unpacked before you had subordinate ids: its files all belong to root inside; rmi it and pull or load it again to keep their owners`
  }
  return undefined
}

/** The single-id warning, as podman gives it once per run. */
export function singleIdWarning(ids: Extract<RootlessIds, { kind: 'single' }>): string {
  return `${ids.why}: the container maps only your own uid and gid, as root; the image's files of other owners show as root, and other users cannot run (-u)`
}

/** The container's user and groups must have ids in its namespace, or setresuid(2) fails with EINVAL inside. */
export function checkUserMapped(spec: Spec, ids: RootlessIds, flag: string | undefined): void {
  const { uid, gid, additionalGids = [] } = spec.process.user
  const what = flag !== undefined ? `-u ${flag}` : 'the image\'s User'
  const maps = ids.kind === 'single' ? `only root (${ids.why})` : `ids 0-${Math.max(...ids.uid.map((m) => m.containerID + m.size - 1))}`
  if (!isMapped(ids.uid, uid)) throw new UsageError(`${what}: uid ${uid} has no id in a rootless container, which maps ${maps}`)
  for (const g of [gid, ...additionalGids]) {
    if (!isMapped(ids.gid, g)) throw new UsageError(`${what}: gid ${g} has no id in a rootless container, which maps ${maps}`)
  }
}

/**
 * A -v source must be the user's to reach: the container's root is the
 * user, and a bind mount of what they cannot read fails inside, or worse,
 * mounts an empty directory that mini-run made in its place. One of the
 * user's subordinate ids (a build's copy of a stage's 0700 directory) is
 * a container user's, which the container's root reaches in its namespace.
 */
export function checkBindSource(source: string): 'exists' | 'missing' {
  const uid = process.getuid!()
  let st
  try {
    st = statSync(source)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'missing'
    throw new UsageError(`bind source ${source}: you (uid ${uid}) cannot reach it (${code}): a rootless container sees only what you may`, { cause: err })
  }
  try {
    accessSync(source, st.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK)
  } catch (err) {
    if (ownedInNamespace(st.uid, st.gid)) return 'exists'
    throw new UsageError(`bind source ${source} belongs to ${st.uid === 0 ? 'root' : `uid ${st.uid}`} and you (uid ${uid}) cannot read it: a rootless container sees only what you may`, { cause: err })
  }
  return 'exists'
}

/** Owner and group both host ids the user's namespace maps: its root may read them there (capabilities(7), CAP_DAC_OVERRIDE). */
function ownedInNamespace(uid: number, gid: number): boolean {
  const ids = currentRootlessIds()
  const hostMapped = (maps: IdMapping[], id: number) => maps.some((m) => id >= m.hostID && id < m.hostID + m.size)
  return ids.kind === 'subordinate' && hostMapped(ids.uid, uid) && hostMapped(ids.gid, gid)
}
