/**
 * `cp` between two views (fs-view.ts), with Docker's rules for where the
 * copy lands (docker/docker pkg/archive copy.go, as `docker cp` documents
 * them):
 *
 *   SRC a file:  DEST missing -> saved as DEST (its parent must exist; a
 *                DEST ending in "/" must be a directory); DEST a file ->
 *                overwritten; DEST a directory -> copied into it.
 *   SRC a dir:   DEST missing -> made, with SRC's content; DEST a dir ->
 *                SRC copied into it, or only SRC's content when SRC ends
 *                in "/."; DEST a file -> an error.
 *
 * Modes and modification times are kept, symlinks copied as symlinks (the
 * top one followed with -L or a SRC ending in "/" or "/."; a DEST that is
 * a symlink is followed), hard links within the copy kept. Owners:
 * whatever the destination view says (a container's root, or with -a the
 * source's ids; on the host, the caller).
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs'
import { posix } from 'node:path'
import { MiniRunError, UsageError } from '../../../errors.js'
import { using, type FsView } from './fs-view.js'

export interface CopyEnd {
  view: FsView
  path: string
}

export interface CopyOptions {
  /** -L: follow SRC if it is a symlink. */
  followLink: boolean
}

const CHUNK = 1024 * 1024

function missing(err: unknown): boolean {
  return ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')
}

/**
 * Whether SRC's top item is followed if it is a symlink: with -L, or, as
 * Docker does, when SRC ends in "/" or "/." (the link is resolved inside
 * the container's root; without them the link itself is copied).
 */
export function followsTop(path: string, o: CopyOptions): boolean {
  return o.followLink || namesDirectory(path)
}

/** A path ending in "/" or "/.": only a directory answers to it (path_resolution(7)). */
function namesDirectory(path: string): boolean {
  return path.endsWith('/') || /(^|\/)\.$/.test(path)
}

/**
 * lstat (or stat, following, when follow) of an item; undefined when there
 * is none. A file named as a directory ("f/", "f/.") is none: the host's
 * kernel says ENOTDIR, and a container's view, which normalizes its paths,
 * must say the same, or `cp x C:/etc/passwd/` would overwrite the file
 * (Docker's daemon lstats the path as given, and refuses).
 */
export function statItem(view: FsView, path: string, follow: boolean): Stats | undefined {
  try {
    const st = follow ? using(view.resolved(path), (p) => statSync(p)) : using(view.at(path), (p) => lstatSync(p))
    return follow && namesDirectory(path) && !st.isDirectory() ? undefined : st
  } catch (err) {
    if (missing(err)) return undefined
    throw err
  }
}

export function notFound(view: FsView, path: string): MiniRunError {
  return new MiniRunError(`Could not find the file ${view.describe(path)}`, { code: 'ENOENT' })
}

/** An item of a tree being copied, its content read on demand. */
export interface SourceItem {
  /** Relative to the copy's top ('' for the top itself). */
  rel: string
  stat: Stats
  /** symlinks: where it points. */
  linkTarget?: string
}

/**
 * The items under SRC, parents before children; directories are listed
 * through an fd resolved inside the root (a directory swapped for a symlink
 * meanwhile can lead nowhere outside it).
 */
export function* walk(view: FsView, path: string, top: Stats, rel = ''): Generator<SourceItem> {
  const item: SourceItem = { rel, stat: top }
  if (top.isSymbolicLink()) item.linkTarget = using(view.at(path), (p) => readlinkSync(p))
  yield item
  if (!top.isDirectory()) return
  const names = using(view.resolved(path), (p) => readdirSync(p)).sort()
  for (const name of names) {
    const child = posix.join(path, name)
    const st = statItem(view, child, false)
    if (st) yield* walk(view, child, st, rel ? `${rel}/${name}` : name)
  }
}

/** Open a source file for reading: never through a symlink it was swapped for (unless it is -L's top). */
export function openSourceFile(view: FsView, path: string, follow: boolean): number {
  const fd = follow
    ? using(view.resolved(path), (p) => openSync(p, constants.O_RDONLY | constants.O_NONBLOCK))
    : using(view.at(path), (p) => openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK))
  if (!fstatSync(fd).isFile()) {
    closeSync(fd)
    throw new MiniRunError(`${view.describe(path)} is no longer a regular file`)
  }
  return fd
}

interface PendingDir {
  path: string
  mode: number
  mtime: Date
  atime: Date
  owner?: { uid: number; gid: number }
}

/** Writes items into a destination view; directories get their final mode and times last. */
export class TreeWriter {
  private readonly links = new Map<string, string>()
  private readonly dirs: PendingDir[] = []

  constructor(private readonly view: FsView) {}

  /** fn, its fs errors named by the destination path as the user sees it. */
  private named<T>(path: string, fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      throw this.view.writeError(path, err)
    }
  }

  /** Remove what is at path unless it is a directory and a directory is wanted. */
  private clear(path: string, wantDir: boolean): boolean {
    const st = statItem(this.view, path, false)
    if (!st) return false
    if (st.isDirectory()) {
      if (wantDir) return true
      throw new MiniRunError(`cannot overwrite directory ${this.view.describe(path)} with non-directory`)
    }
    if (wantDir) throw new MiniRunError(`cannot overwrite non-directory ${this.view.describe(path)} with directory`)
    using(this.view.at(path), (p) => unlinkSync(p))
    return false
  }

  dir(path: string, st: Pick<Stats, 'mode' | 'uid' | 'gid' | 'mtime' | 'atime'>): void {
    this.named(path, () => {
      if (!this.clear(path, true)) using(this.view.at(path), (p) => mkdirSync(p, 0o700))
      const owner = this.view.owner(st)
      this.dirs.push({ path, mode: st.mode & 0o7777, mtime: st.mtime, atime: st.atime, ...(owner ? { owner } : {}) })
    })
  }

  /** A new file at path: an fd to write its content to, then finish(). */
  file(path: string, st: Pick<Stats, 'mode' | 'uid' | 'gid' | 'mtime' | 'atime' | 'nlink' | 'dev' | 'ino'>, linkKey?: string): number | undefined {
    return this.named(path, () => {
      this.clear(path, false)
      if (linkKey !== undefined) {
        const first = this.links.get(linkKey)
        if (first !== undefined) {
          const from = this.view.at(first)
          try {
            using(this.view.at(path), (p) => linkSync(from.path, p))
          } finally {
            from.done()
          }
          return undefined
        }
        this.links.set(linkKey, path)
      }
      return using(this.view.at(path), (p) => openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600))
    })
  }

  finishFile(fd: number, st: Pick<Stats, 'mode' | 'uid' | 'gid' | 'mtime' | 'atime'>): void {
    try {
      const owner = this.view.owner(st)
      if (owner) fchownSync(fd, owner.uid, owner.gid)
      // after chown, which clears setuid and setgid bits
      fchmodSync(fd, st.mode & 0o7777)
      futimesSync(fd, st.atime, st.mtime)
    } finally {
      closeSync(fd)
    }
  }

  symlink(path: string, target: string, st: Pick<Stats, 'uid' | 'gid' | 'mtime' | 'atime'>): void {
    this.named(path, () => {
      this.clear(path, false)
      using(this.view.at(path), (p) => {
        symlinkSync(target, p)
        const owner = this.view.owner(st)
        if (owner) lchownSync(p, owner.uid, owner.gid)
        lutimesSync(p, st.atime, st.mtime)
      })
    })
  }

  /** Directories' modes, owners and times, deepest first (a read-only one is written into before). */
  finish(): void {
    for (const d of this.dirs.splice(0).reverse()) this.named(d.path, () => this.finishDir(d))
  }

  private finishDir(d: PendingDir): void {
    const fd = using(this.view.at(d.path), (p) => openSync(p, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW))
    try {
      if (d.owner) fchownSync(fd, d.owner.uid, d.owner.gid)
      fchmodSync(fd, d.mode)
      futimesSync(fd, d.atime, d.mtime)
    } finally {
      closeSync(fd)
    }
  }
}

export function copyContent(from: number, to: number): void {
  const buf = Buffer.allocUnsafe(CHUNK)
  for (;;) {
    const n = readSync(from, buf, 0, CHUNK, null)
    if (n === 0) return
    for (let off = 0; off < n; ) off += writeSync(to, buf, off, n - off)
  }
}

/**
 * DEST, a symlink followed to what it points to (as Docker's cp does: the
 * copy lands at the link's target, resolved inside the container's root,
 * the link itself kept).
 */
function followDest(dst: CopyEnd): CopyEnd {
  let path = dst.path
  for (let hops = 0; !path.endsWith('/'); hops++) {
    if (!statItem(dst.view, path, false)?.isSymbolicLink()) return { ...dst, path }
    if (hops === 40) throw new MiniRunError(`too many levels of symbolic links: ${dst.view.describe(dst.path)}`, { code: 'ELOOP' })
    const link = using(dst.view.at(path), (p) => readlinkSync(p))
    path = posix.isAbsolute(link) ? link : posix.join(posix.dirname(path), link)
  }
  return { ...dst, path }
}

/** Where SRC (at srcPath, of srcStat's kind) lands in DEST, by Docker's rules (the top of this file). */
export function copyTarget(srcPath: string, srcStat: Pick<Stats, 'isDirectory'>, given: CopyEnd): string {
  const dst = followDest(given)
  const dstStat = statItem(dst.view, dst.path, true)
  const contentsOnly = /(^|\/)\.$/.test(srcPath)
  const base = posix.basename(posix.resolve('/', srcPath))
  if (dstStat?.isDirectory()) return contentsOnly && srcStat.isDirectory() ? dst.path : posix.join(dst.path, base === '' ? '.' : base)
  if (dstStat) {
    if (srcStat.isDirectory()) throw new UsageError(`cannot copy a directory to a file: ${dst.view.describe(dst.path)}`)
    return dst.path
  }
  if (dst.path.endsWith('/') && !srcStat.isDirectory()) throw new UsageError(`destination ${dst.view.describe(dst.path)} must be a directory`)
  const parent = statItem(dst.view, posix.dirname(dst.path.replace(/\/+$/, '') || '/'), true)
  if (!parent?.isDirectory()) throw new MiniRunError(`no such directory: ${dst.view.describe(posix.dirname(dst.path.replace(/\/+$/, '')))}`, { code: 'ENOENT' })
  return dst.path
}

/** Copy SRC to DEST; the top item is followed with -L. */
export function copyTree(src: CopyEnd, dst: CopyEnd, o: CopyOptions): void {
  const follow = followsTop(src.path, o)
  const srcStat = statItem(src.view, src.path, follow)
  if (!srcStat) throw notFound(src.view, src.path)
  const to = copyTarget(src.path, srcStat, dst)
  const writer = new TreeWriter(dst.view)
  // -L: the top item is what the link points to; below it, links stay links
  const top = follow ? srcStat : statItem(src.view, src.path, false)!
  for (const item of walk(src.view, src.path, top)) {
    const from = item.rel ? posix.join(src.path, item.rel) : src.path
    const dest = item.rel ? posix.join(to, item.rel) : to
    const st = item.stat
    if (st.isDirectory()) writer.dir(dest, st)
    else if (st.isSymbolicLink()) writer.symlink(dest, item.linkTarget!, st)
    else if (st.isFile()) {
      const out = writer.file(dest, st, st.nlink > 1 ? `${st.dev}:${st.ino}` : undefined)
      if (out === undefined) continue
      let ok = false
      try {
        const input = openSourceFile(src.view, from, follow && item.rel === '')
        try {
          copyContent(input, out)
        } finally {
          closeSync(input)
        }
        ok = true
      } finally {
        if (ok) writer.finishFile(out, st)
        else closeSync(out)
      }
    }
    // devices, fifos and sockets are not copied (Docker's cp copies them; a copy to the host should not make devices)
  }
  writer.finish()
}
