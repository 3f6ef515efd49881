/**
 * Copy a directory of an image, as the container would see it, out of the
 * image's unpacked layers: Docker's pre-population of an empty volume
 * (moby's copyExistingContents), done by the parent before the container
 * exists, from layers that only root can write.
 *
 * The layers are overlay lower dirs (top first), so the merged view is
 * overlayfs's (Documentation/filesystems/overlayfs.rst): a name is taken
 * from the topmost layer that has it; a 0:0 character device there is a
 * whiteout and hides it; a directory merges with the same directory of the
 * layers below until one of them holds something else or it is opaque
 * (trusted.overlay.opaque or user.overlay.opaque = "y"). Nothing is ever
 * followed: every entry is lstat'ed, symlinks are copied as symlinks.
 *
 * Each copy gets its source's owner (as root), mode (after the chown, which
 * clears setuid), xattrs (after both: chown clears security.capability)
 * but not overlayfs's own, and times. Hard links within the copy stay
 * links. Device nodes are left out: a volume is mounted nodev, where they
 * could not be opened.
 */
import {
  chmodSync,
  constants,
  copyFileSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  type Stats,
} from 'node:fs'
import { join } from 'node:path'
import * as native from '../../native/lib.js'
import * as fileCalls from '../../native/file-calls.js'
import { isOpaqueDir, isWhiteout, lstatOrUndefined } from '../../image/overlay-marks.js'

export interface CopyOptions {
  /** Give the copies their source's owners (root only). */
  chown: boolean
}

interface Entry {
  path: string
  st: Stats
}

interface Context extends CopyOptions {
  /** "dev:ino" of a multiply linked source file -> its first copy. */
  links: Map<string, string>
}

/**
 * Copy the content of directory `relPath` of the merged `layers` (top
 * first) into `dest`, an existing empty directory, and give `dest` the
 * directory's own owner, mode and xattrs. False (and nothing done) when
 * the image has no directory there.
 */
export function copyImageDir(layers: readonly string[], relPath: string, dest: string, o: CopyOptions): boolean {
  const stack = dirStack(layers, relPath)
  if (!stack) return false
  const ctx: Context = { ...o, links: new Map() }
  copyContents(stack, dest, ctx)
  applyMetadata({ path: stack[0]!, st: lstatSync(stack[0]!) }, dest, ctx)
  return true
}

// as the kernel's path walk gives up (ELOOP, path_resolution(7))
const MAX_SYMLINKS = 40

/**
 * The layer directories that make up directory `relPath` of the merged
 * `layers`, top first; undefined when it is missing or no directory. Its
 * symlinks are followed inside the image's root (an absolute target from
 * the root, ".." stopping there), as the volume's mount is placed (runc's
 * securejoin) and as Docker's daemon finds what to copy (moby's
 * CopyImagePathContent: GetResourcePath, FollowSymlinkInScope): a volume at
 * /var/run, a link to /run, is filled from /run.
 */
function dirStack(layers: readonly string[], relPath: string): string[] | undefined {
  const todo = relPath.split('/').filter(Boolean)
  const done: string[] = []
  let stack: string[] | undefined = [...layers]
  for (let links = 0; todo.length; ) {
    const part = todo.shift()!
    if (part === '.') continue
    if (part === '..') {
      done.pop()
      stack = done.reduce<string[] | undefined>((below, name) => below && childStack(below, name), [...layers])
      continue
    }
    const top = topEntry(stack!, part)
    if (top?.st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) return undefined
      const target = readlinkSync(top.path)
      todo.unshift(...target.split('/').filter(Boolean))
      if (target.startsWith('/')) {
        done.length = 0
        stack = [...layers]
      }
      continue
    }
    stack = childStack(stack!, part)
    if (!stack) return undefined
    done.push(part)
  }
  return stack
}

/** The merged entry `name` of a directory made of `stack`: its topmost layer's, a whiteout included. */
function topEntry(stack: readonly string[], name: string): Entry | undefined {
  for (const dir of stack) {
    const path = join(dir, name)
    const st = lstatOrUndefined(path)
    if (st) return { path, st }
  }
  return undefined
}

/**
 * The layer directories that make up directory `name` of a merged
 * directory made of `stack`, top first; undefined when the merged `name`
 * is missing or no directory.
 */
function childStack(stack: readonly string[], name: string): string[] | undefined {
  const out: string[] = []
  for (const dir of stack) {
    const path = join(dir, name)
    const st = lstatOrUndefined(path)
    if (!st) continue // this layer leaves it as the layers below have it
    if (!st.isDirectory()) break // a file, symlink or whiteout hides the layers below
    out.push(path)
    if (isOpaqueDir(path)) break
  }
  return out.length ? out : undefined
}

/** The merged entries of a directory, whiteouts removed. */
function mergedEntries(stack: readonly string[]): Map<string, Entry> {
  const seen = new Map<string, Entry | undefined>()
  for (const dir of stack) {
    for (const name of readdirSync(dir)) {
      if (seen.has(name)) continue
      const path = join(dir, name)
      const st = lstatSync(path)
      seen.set(name, isWhiteout(st) ? undefined : { path, st })
    }
  }
  const entries = new Map<string, Entry>()
  for (const [name, entry] of seen) if (entry) entries.set(name, entry)
  return entries
}

function copyContents(stack: readonly string[], dest: string, ctx: Context): void {
  for (const [name, entry] of mergedEntries(stack)) {
    const to = join(dest, name)
    const { st } = entry
    if (st.isDirectory()) {
      mkdirSync(to, { mode: 0o700 }) // its mode once it is filled: a 0555 directory could not be
      copyContents(childStack(stack, name)!, to, ctx)
      applyMetadata(entry, to, ctx)
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`
      const first = st.nlink > 1 ? ctx.links.get(key) : undefined
      if (first !== undefined) {
        linkSync(first, to)
        continue
      }
      copyFileSync(entry.path, to, constants.COPYFILE_EXCL)
      applyMetadata(entry, to, ctx)
      if (st.nlink > 1) ctx.links.set(key, to)
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(entry.path), to)
      if (ctx.chown) lchownSync(to, st.uid, st.gid)
      lutimesSync(to, st.atime, st.mtime)
    } else if (st.isFIFO()) {
      fileCalls.mknod(to, constants.S_IFIFO | (st.mode & 0o7777), 0, 0)
      applyMetadata(entry, to, ctx)
    }
    // device nodes and sockets: left out (see the top of this file)
  }
}

function applyMetadata(from: Entry, to: string, ctx: Context): void {
  if (ctx.chown) lchownSync(to, from.st.uid, from.st.gid)
  chmodSync(to, from.st.mode & 0o7777)
  copyXattrs(from.path, to)
  lutimesSync(to, from.st.atime, from.st.mtime)
}

/** overlayfs's own attributes mean something only in a layer. */
const OVERLAY_XATTR = /^(trusted|user)\.overlay\./

function copyXattrs(from: string, to: string): void {
  let names: string[]
  try {
    names = fileCalls.llistxattr(from)
  } catch {
    return // the file system has none
  }
  for (const name of names) {
    if (OVERLAY_XATTR.test(name)) continue
    const value = fileCalls.lgetxattr(from, name)
    if (value === null) continue
    try {
      fileCalls.lsetxattr(to, name, value)
    } catch (err) {
      // trusted.* and security.* need privileges a rootless run lacks
      if (!(err instanceof native.NativeError) || !['EPERM', 'ENOTSUP', 'EOPNOTSUPP'].includes(err.code)) throw err
    }
  }
}



