/**
 * A RUN's writable layer (the overlay's upper directory) as a gzipped layer
 * blob at a path of the store's tmp/ the caller chose: the mount points the
 * container made taken out, then its entries (overlay-diff.ts) as a tar.
 *
 * As root, in this process. In a rootless store with subordinate ids, in
 * the user's namespace (rootless/userns-helper.ts), as podman's builds
 * commit there: the command may have made files of other container users
 * (`adduser`, `chown`, `USER app`), which on disk belong to the user's
 * subordinate ids, may be unreadable to the user (a 0600 file of uid 1000,
 * a 0700 directory), and show their container owners only inside the
 * namespace, which is what the layer must record.
 */
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs'
import { join, posix } from 'node:path'
import { writeLayerBlobAt, type LayerBlob } from './layer-tar.js'
import { MergedTree } from './merged-tree.js'
import { overlayDiff } from './overlay-diff.js'

export interface UpperBlobRequest {
  upperDir: string
  /** Where the blob goes: a path of the store's tmp/ named for the caller's process. */
  blobPath: string
  /** The container's mount destinations: those it had to make are not the command's doing. */
  mountTargets: string[]
  /** The image's layers' fs/ directories, top first, and the store's maps (none in the namespace: ids are the image's there). */
  lowerDirs: string[]
  idMaps?: ConstructorParameters<typeof MergedTree>[1]
  sourceDateEpoch?: number
}

export async function writeUpperBlob(r: UpperBlobRequest): Promise<LayerBlob> {
  removeMountPoints(r.upperDir, r.mountTargets, new MergedTree(r.lowerDirs, r.idMaps))
  return writeLayerBlobAt(overlayDiff(r.upperDir), r.blobPath, r.sourceDateEpoch !== undefined ? { sourceDateEpoch: r.sourceDateEpoch } : {})
}

/**
 * The container made a mount point (an empty directory or file) for each
 * mount the image lacked a place for: /proc, /sys, /dev, /run/secrets/<id>,
 * a cache target. They are not the command's doing and must not become
 * part of the layer, nor must the parents made for them, nor a parent
 * overlayfs only copied up to hold them (same owner and mode as below).
 *
 * The command's processes are all gone, but what it left in the upper
 * directory may be a trap: a parent it replaced with a symbolic link (`ln
 * -s / /x` for a mount at /x/mnt) would take join()'s path out of the upper
 * directory, to the host's /mnt. A path with a link on the way is left as
 * it is (it is not the mount point that was made, and the layer keeps the
 * link, which is the command's).
 */
export function removeMountPoints(upperDir: string, targets: readonly string[], tree: MergedTree): void {
  const sorted = [...new Set(targets)].sort((a, b) => b.split('/').length - a.split('/').length)
  for (const target of sorted) {
    if (tree.lookup(target, false)) continue
    let path = posix.normalize(target)
    if (!parentsAreDirectories(upperDir, path)) continue
    // the stub itself, then its parents while they are empty and were made for it
    for (let first = true; path !== '/' && path !== '.'; first = false, path = posix.dirname(path)) {
      const host = join(upperDir, path)
      let st
      try {
        st = lstatSync(host)
      } catch {
        break
      }
      const below = tree.lookup(path, false)
      if (st.isDirectory()) {
        if (readdirSync(host).length > 0) break
        if (below && !(below.stat.isDirectory() && below.stat.mode === st.mode && below.stat.uid === st.uid && below.stat.gid === st.gid)) break
        rmdirSync(host)
      } else if (first && st.isFile() && st.size === 0 && !below) {
        unlinkSync(host)
      } else break
    }
  }
}

/** Every parent of `path` in the upper directory is a directory there, or absent: none is a symbolic link. */
function parentsAreDirectories(upperDir: string, path: string): boolean {
  const parts = path.split('/').filter(Boolean)
  let host = upperDir
  for (const part of parts.slice(0, -1)) {
    host = join(host, part)
    try {
      if (!lstatSync(host).isDirectory()) return false
    } catch {
      // absent: nothing below it to remove
      return true
    }
  }
  return true
}
