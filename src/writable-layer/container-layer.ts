/**
 * A container's writable layer, and the image under it.
 *
 * A container made from an image runs on an overlay mount (plan-rootfs.ts):
 * the image's layers are its read-only lower directories, and everything
 * the container writes goes to one upper directory of its own,
 * <store>/containers/<id>/upper, which stays on disk until the container
 * is removed, running or not. That directory *is* the container's changes
 * (kernel Documentation/filesystems/overlayfs.rst): new and changed files
 * in full, a 0:0 character device for a removed name, an opaque directory
 * for one removed and made again. `diff`, `export` and `commit` all read
 * it from here, without mounting anything.
 */
import { lstatSync, readdirSync } from 'node:fs'
import { join, posix } from 'node:path'
import { MergedTree } from '../build/merged-tree.js'
import { MiniRunError } from '../errors.js'
import { ImageStore } from '../image/store.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import type { IdMapping } from '../runtime/spec/spec.js'

type IdMaps = { uid: IdMapping[]; gid: IdMapping[] }

export interface ContainerLayer {
  /** The overlay's upper directory (host path). */
  upperDir: string
  /** The image's layer directories, top first. */
  lowerDirs: string[]
  /** The image's files, as the container started with them. */
  image: MergedTree
  /** The container's files: the writable layer over the image's. */
  merged: MergedTree
  /** The ids the writable layer's files have on the host, as the container's own (undefined: the same). */
  upperIdMaps: IdMaps | undefined
  /**
   * Whether the upper directory's `path` (relative, no leading "/") is only
   * a mount point the runtime made there (/etc/hosts, /proc, a volume's
   * target the image lacked, and the parents made for it): not the
   * container's doing. Docker keeps those in an "init" layer of its own
   * below the writable one; here they are told from the mounts.
   */
  isMountStub(path: string): boolean
}

export function openContainerLayer(c: ContainerInfo, storeRoot: string): ContainerLayer {
  const short = c.id.slice(0, 12)
  const rootfs = c.startInput?.rootfs
  if (!c.containerDir || rootfs?.kind === 'directory') {
    throw new MiniRunError(`container ${short} runs on a --rootfs directory: it has no image and no writable layer of its own`, { code: 'ENOLAYER' })
  }
  const upperDir = rootfs?.kind === 'overlay' ? rootfs.upperDir : join(c.containerDir, 'upper')
  const store = new ImageStore({ root: storeRoot })
  const lowerDirs =
    rootfs?.kind === 'overlay' ? rootfs.lowerDirs.map((d) => join(rootfs.layersDir, d)) : [...(c.chainIds ?? [])].reverse().map((id) => store.layerFsPath(id))
  try {
    lstatSync(upperDir)
    for (const dir of lowerDirs) lstatSync(dir)
  } catch (err) {
    throw new MiniRunError(`container ${short}: its files are gone (${(err as Error).message}); was it removed meanwhile?`, { code: 'ENOLAYER', cause: err })
  }
  const storeMaps = store.idMaps
  const uid = c.spec?.linux.uidMappings
  const gid = c.spec?.linux.gidMappings
  const upperIdMaps = uid && gid ? { uid, gid } : undefined
  const image = new MergedTree(lowerDirs, storeMaps)
  const merged = new MergedTree([upperDir, ...lowerDirs], storeMaps, { topIdMaps: upperIdMaps })
  const targets = (c.spec?.mounts ?? []).map((m) => posix.normalize(m.destination).replace(/^\/+|\/+$/g, '')).filter((p) => p !== '' && p !== '.')
  const stubs = new Set<string>()
  for (const target of targets) {
    // the target and each parent the image lacked: all made for the mount
    for (let p = target; p !== '.' && !image.lookup(`/${p}`, false); p = posix.dirname(p)) stubs.add(p)
  }
  const made = new Map<string, boolean>()
  const isMountStub = (path: string): boolean => {
    const known = made.get(path)
    if (known !== undefined) return known
    let stub = false
    if (stubs.has(path)) {
      const st = lstatSync(join(upperDir, path), { throwIfNoEntry: false })
      // an empty file or directory, or one holding only other stubs: anything else was written there
      // (one gone meanwhile, in a running container, holds nothing to list)
      stub = st === undefined || (st.isDirectory() ? readdirSync(join(upperDir, path)).every((n) => isMountStub(`${path}/${n}`)) : st.isFile() && st.size === 0)
    }
    made.set(path, stub)
    return stub
  }
  return { upperDir, lowerDirs, image, merged, upperIdMaps, isMountStub }
}

/**
 * A file of the container that this process may not read, as one line
 * naming it as the container does. Rootless, its files belong to the
 * user's subordinate ids, and they are read from outside the container's
 * user namespace: one whose owner and mode shut the user out (a 0600 file
 * of the container's www-data) cannot be read here.
 */
export function readError(layer: ContainerLayer, err: unknown): unknown {
  const e = err as NodeJS.ErrnoException
  if (e.code !== 'EACCES' || typeof e.path !== 'string') return err
  const host = e.path
  const base = [layer.upperDir, ...layer.lowerDirs].find((d) => host === d || host.startsWith(`${d}/`))
  if (base === undefined) return err
  const path = host.slice(base.length) || '/'
  return new MiniRunError(`${path} in the container: permission denied (its owner and mode shut out the user mini-run runs as, which reads the container's files from outside its user namespace)`, { code: 'EACCES', cause: err })
}
