/**
 * `compose watch`'s sync: host paths written into a container, running or
 * not, each at exactly its path there, as Docker Compose's tar of them
 * lands (internal/sync/tar.go):
 *
 *  - missing parent directories made (0755, the container root's); a
 *    parent that is a symlink to a directory in the container is written
 *    through, as the engine resolves it (Debian's /lib -> usr/lib, an
 *    image's /app -> /srv/app), never replaced;
 *  - what was at the path replaced: a file by a directory or the other way
 *    round removed first, a symlink replaced by a file or link (a
 *    directory over a symlink to a directory goes through it);
 *  - a file's content, mode and times copied; its ids kept as ids inside
 *    the container as root (CopyUIDGID), the container root's as an
 *    ordinary user (who cannot give a file to another id);
 *  - a symlink copied as a link; a directory made, not filled (its files
 *    come as paths of their own, each matched against the trigger's
 *    patterns);
 *  - a path the host no longer has removed from the container, with what
 *    is below it, by mr_remove_tree: no symlink followed below the path's
 *    parent, which is resolved in the container's root (fs-view.ts).
 *    Docker Compose execs `rm -rf` in the container instead (and so fails
 *    in a stopped one, or an image without rm).
 *
 * A host path that changed while it was read (gone, or made another kind)
 * is skipped: the watcher's next event brings it. One item's failure does
 * not stop the others; the failures are thrown together at the end.
 */
import { closeSync, readlinkSync, type Stats } from 'node:fs'
import { posix } from 'node:path'
import { MiniRunError } from '../../../errors.js'
import * as fileCalls from '../../../native/file-calls.js'
import { isRoot } from '../../../paths.js'
import type { ContainerInfo } from '../containers.js'
import { withContainerView } from './copy-container.js'
import { copiesInUserNamespace, copyInUserNamespace } from './copy-in-userns.js'
import { readOnlyReason, type SyncItem } from './copy-policy.js'

export type { SyncItem }
import { copyContent, openSourceFile, statItem, TreeWriter } from './copy-tree.js'
import { hostView, using, type FsView } from './fs-view.js'


/** What is at path in the view, and everything below it, removed; nothing there is no error. */
function removeInView(view: FsView, path: string): void {
  try {
    using(view.at(path), (p) => fileCalls.removeTreeHere(p))
  } catch (err) {
    throw view.writeError(path, err)
  }
}

/** The parents of path made where missing: through symlinks to directories, a non-directory in the way removed. */
function makeParents(view: FsView, writer: TreeWriter, path: string, now: Date): void {
  let dir = '/'
  for (const part of posix.dirname(path).split('/').filter(Boolean)) {
    dir = posix.join(dir, part)
    if (statItem(view, dir, true)?.isDirectory()) continue
    if (statItem(view, dir, false)) removeInView(view, dir)
    writer.dir(dir, { mode: 0o40755, uid: 0, gid: 0, mtime: now, atime: now })
  }
}

/** A host item changed between its stat and its read: the next event says what it is now. */
function changedMeanwhile(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || (err instanceof MiniRunError && /is no longer a regular file/.test(err.message))
}

/** A host file's content at dst; false when it changed on the host meanwhile. */
function copyFile(writer: TreeWriter, from: string, dst: string, st: Stats): boolean {
  let input: number
  try {
    input = openSourceFile(hostView(), from, false)
  } catch (err) {
    if (changedMeanwhile(err)) return false
    throw err
  }
  try {
    const out = writer.file(dst, st)!
    let ok = false
    try {
      copyContent(input, out)
      ok = true
    } finally {
      if (ok) writer.finishFile(out, st)
      else closeSync(out)
    }
  } finally {
    closeSync(input)
  }
  return true
}

/** One item into the view; false when there was nothing to do. readOnly: why a path may not be written, if it may not. */
function syncItem(view: FsView, writer: TreeWriter, item: SyncItem, now: Date, readOnly: (path: string) => string | undefined): boolean {
  const dst = posix.resolve('/', item.container)
  const refused = readOnly(dst)
  if (refused) throw new MiniRunError(`copy to ${view.describe(dst)}: ${refused}`, { code: 'EROFS' })
  const st = statItem(hostView(), item.host, false)
  if (!st) {
    if (dst === '/' || !statItem(view, dst, false)) return false
    removeInView(view, dst)
    return true
  }
  // devices, fifos and sockets are not copied, as cp copies none
  if (!st.isDirectory() && !st.isSymbolicLink() && !st.isFile()) return false
  if (dst === '/') return false
  makeParents(view, writer, dst, now)
  const there = statItem(view, dst, false)
  if (st.isDirectory()) {
    if (there?.isSymbolicLink() && statItem(view, dst, true)?.isDirectory()) return false
    if (there && !there.isDirectory()) removeInView(view, dst)
    writer.dir(dst, st)
    return true
  }
  if (there?.isDirectory()) removeInView(view, dst)
  if (st.isSymbolicLink()) {
    let target: string
    try {
      target = readlinkSync(item.host)
    } catch (err) {
      if (changedMeanwhile(err)) return false
      throw err
    }
    writer.symlink(dst, target, st)
    return true
  }
  return copyFile(writer, item.host, dst, st)
}

/** Each item written into the view, or removed where the host has none; returns how many were, and each failure's message (the others still done). */
export function syncIntoView(view: FsView, items: readonly SyncItem[], readOnly: (path: string) => string | undefined = () => undefined): { written: number; failures: string[] } {
  const now = new Date()
  let written = 0
  const failures: string[] = []
  const writer = new TreeWriter(view)
  for (const item of items) {
    try {
      if (syncItem(view, writer, item, now, readOnly)) written++
    } catch (err) {
      failures.push((err as Error).message)
    }
  }
  try {
    writer.finish()
  } catch (err) {
    failures.push((err as Error).message)
  }
  return { written, failures }
}

/** syncIntoView into a container, running or not; the items that failed are thrown together, after the rest. */
export async function syncIntoContainer(c: ContainerInfo, items: readonly SyncItem[]): Promise<void> {
  // a stopped container's view does not mount its root read-only: what a running one refuses is refused here
  const readOnly = (dst: string) => (c.status !== 'running' ? readOnlyReason(c, dst, true) : undefined)
  // an ordinary user's container of other users: written as its root, where their directories are writable
  if (copiesInUserNamespace(c, isRoot())) {
    const failures = (await copyInUserNamespace(c, { direction: 'sync', items: [...items] })) as string[]
    if (failures.length) throw new MiniRunError(failures.join('; '))
    return
  }
  // as root the host's ids, taken as the container's; an ordinary user can give a file only its own id
  const { failures } = await withContainerView(c, isRoot(), (view) => syncIntoView(view, items, readOnly))
  if (failures.length) throw new MiniRunError(failures.join('; '))
}
