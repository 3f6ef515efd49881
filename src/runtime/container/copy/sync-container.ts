/**
 * `compose watch`'s sync: host paths written into a container, running or
 * not, each at exactly its path there, as Docker Compose's tar of them
 * lands (internal/sync/tar.go): missing parent directories made (0755,
 * the container root's), what was there replaced (a directory by a file,
 * or a file by a directory, removed first), a file's content, mode and
 * times copied and its ids kept as ids inside the container; a symlink
 * copied as a link; a directory made, not filled (the files in it come as
 * paths of their own, each one matched against the trigger's patterns).
 * A path the host no longer has is removed from the container, with what
 * is below it: each removal resolved in the container's root (fs-view.ts),
 * where Docker Compose execs `rm -rf` in the container (and so fails in a
 * stopped one, or an image without rm).
 */
import { closeSync, readdirSync, readlinkSync, rmdirSync, unlinkSync, type Stats } from 'node:fs'
import { posix } from 'node:path'
import type { ContainerInfo } from '../containers.js'
import { withContainerView } from './copy-container.js'
import { copyContent, openSourceFile, statItem, TreeWriter } from './copy-tree.js'
import { hostView, using, type FsView } from './fs-view.js'

export interface SyncItem {
  /** On the host. */
  host: string
  /** In the container, absolute. */
  container: string
}

/** What is at path in the view, and everything below it, removed; nothing there is no error. */
export function removeInView(view: FsView, path: string): void {
  const st = statItem(view, path, false)
  if (!st) return
  if (st.isDirectory()) {
    for (const name of using(view.resolved(path), (p) => readdirSync(p))) removeInView(view, posix.join(path, name))
    using(view.at(path), (p) => rmdirSync(p))
  } else using(view.at(path), (p) => unlinkSync(p))
}

function makeParents(view: FsView, writer: TreeWriter, path: string, now: Date): void {
  let dir = '/'
  for (const part of posix.dirname(path).split('/').filter(Boolean)) {
    dir = posix.join(dir, part)
    const st = statItem(view, dir, false)
    if (st?.isDirectory()) continue
    if (st) removeInView(view, dir)
    writer.dir(dir, { mode: 0o40755, uid: 0, gid: 0, mtime: now, atime: now })
  }
}

function kind(st: Stats): 'dir' | 'link' | 'other' {
  return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other'
}

/** A host file's content at dst; false when the file went from the host meanwhile (what was written is removed). */
function copyFile(view: FsView, writer: TreeWriter, from: string, dst: string, st: Stats): boolean {
  let input: number
  try {
    input = openSourceFile(hostView(), from, false)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    removeInView(view, dst)
    return false
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

/** Each item copied in, or removed where the host has none; returns how many were written and removed. */
export async function syncIntoContainer(c: ContainerInfo, items: readonly SyncItem[]): Promise<{ written: number; removed: number }> {
  const host = hostView()
  const now = new Date()
  let written = 0
  let removed = 0
  await withContainerView(c, true, (view) => {
    const writer = new TreeWriter(view)
    try {
      for (const item of items) {
        const dst = posix.resolve('/', item.container)
        const st = statItem(host, item.host, false)
        if (!st) {
          if (dst !== '/' && statItem(view, dst, false)) {
            removeInView(view, dst)
            removed++
          }
          continue
        }
        // devices, fifos and sockets are not copied, as cp copies none
        if (!st.isDirectory() && !st.isSymbolicLink() && !st.isFile()) continue
        if (dst === '/' && !st.isDirectory()) continue
        makeParents(view, writer, dst, now)
        const there = statItem(view, dst, false)
        if (there && (kind(there) !== kind(st) || there.isSymbolicLink())) removeInView(view, dst)
        if (st.isDirectory()) writer.dir(dst, st)
        else if (st.isSymbolicLink()) writer.symlink(dst, readlinkSync(item.host), st)
        else if (!copyFile(view, writer, item.host, dst, st)) continue
        written++
      }
    } finally {
      writer.finish()
    }
  })
  return { written, removed }
}
