/**
 * `diff`: a container's changes, one per path, as Docker lists them
 * (moby pkg/archive/changes.go, the overlay driver's OverlayChanges): a
 * walk of the writable layer, each directory's names in byte order,
 * parents before children.
 *
 *   D  a whiteout (a 0:0 character device: overlayfs's mark for a removed
 *      name), or an opaque directory that hides one of the image's (the
 *      directory was removed and made again: the old one is deleted, and
 *      what is in it now is listed after it)
 *   A  a name the image does not have
 *   C  a name the image has; but a directory the container only passed
 *      through (same mode, owner and mtime as the image's) is not listed,
 *      unless a name in it was added or deleted: then it is, as Docker
 *      does, "C /etc" before "A /etc/new".
 *
 * The mount points the runtime made in the writable layer are left out
 * (container-layer.ts), and so is the mtime of a directory that holds one:
 * making /etc/hosts changed /etc's.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs'
import { join, posix } from 'node:path'
import { isOpaqueDir, isWhiteout } from '../image/overlay-marks.js'
import { containerId } from '../runtime/spec/id-maps.js'
import type { ContainerLayer } from './container-layer.js'

export type ChangeKind = 'A' | 'C' | 'D'

export interface Change {
  kind: ChangeKind
  /** Absolute, in the container. */
  path: string
}

/** Go's sort.Strings: bytes, not UTF-16 code units. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** A directory's names; none once it is gone (removed by the running container meanwhile). */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return []
    throw err
  }
}

export function containerChanges(layer: ContainerLayer): Change[] {
  const changes: Change[] = []
  const changedDirs = new Set<string>()
  const owner = (st: Stats) => ({ uid: containerId(layer.upperIdMaps?.uid, st.uid), gid: containerId(layer.upperIdMaps?.gid, st.gid) })
  const passedThrough = (rel: string, st: Stats, below: Stats): boolean => {
    if (!st.isDirectory() || !below.isDirectory()) return false
    const ids = owner(st)
    if (st.mode !== below.mode || ids.uid !== below.uid || ids.gid !== below.gid) return false
    const holdsStub = namesIn(join(layer.upperDir, rel)).some((n) => layer.isMountStub(`${rel}/${n}`))
    return holdsStub || st.mtimeMs === below.mtimeMs
  }
  const walk = (rel: string): void => {
    const names = namesIn(rel === '' ? layer.upperDir : join(layer.upperDir, rel)).sort(byteOrder)
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`
      if (layer.isMountStub(path)) continue
      const host = join(layer.upperDir, path)
      // a running container's files come and go while they are listed: one gone is no change
      const st = lstatSync(host, { throwIfNoEntry: false })
      if (st === undefined) continue
      const abs = `/${path}`
      const below = layer.image.lookup(abs, false)
      let kind: ChangeKind
      if (isWhiteout(st) || (below && st.isDirectory() && isOpaqueDir(host))) kind = 'D'
      else if (!below) kind = 'A'
      else if (passedThrough(path, st, below.stat)) {
        walk(path)
        continue
      } else kind = 'C'
      if (st.isDirectory()) changedDirs.add(abs)
      if (kind !== 'C') {
        const parent = posix.dirname(abs)
        if (parent !== '/' && !changedDirs.has(parent)) {
          changes.push({ kind: 'C', path: parent })
          changedDirs.add(parent)
        }
      }
      changes.push({ kind, path: abs })
      if (st.isDirectory()) walk(path)
    }
  }
  walk('')
  return changes
}
