/**
 * Where `cp` reads and writes: the host's filesystem, or a container's
 * through an fd of its root.
 *
 * In a container, every path is resolved by the kernel inside its root
 * (openat2 RESOLVE_IN_ROOT, mr_open_in_root): the parent directory is
 * opened that way, and the last component is then named through the
 * parent's fd, `/proc/self/fd/N/NAME`, one component that no "/" or ".."
 * can lead anywhere else. Calls that must not follow a symlink there
 * (lstat, open with O_NOFOLLOW, mkdir, symlink, lchown) are safe against a
 * container that swaps a path for a symlink while it is copied.
 */
import { closeSync } from 'node:fs'
import { posix } from 'node:path'
import * as native from '../../../native/lib.js'
import * as fileCalls from '../../../native/file-calls.js'
import { MiniRunError } from '../../../errors.js'

export interface ViewPath {
  /** A path the fs calls use: resolves to the item itself, its last component not followed. */
  path: string
  done(): void
}

export interface FsView {
  /** The item at path, its last component not followed. */
  at(path: string): ViewPath
  /** The item at path, symlinks followed (inside the root, for a container). */
  resolved(path: string): ViewPath
  /** For messages: where, as the user named it. */
  describe(path: string): string
  /** The owner a new item gets, given the source's (undefined: the caller's). */
  owner(source: { uid: number; gid: number }): { uid: number; gid: number } | undefined
  /** A host uid/gid as the ids the view shows (for a tar written from it). */
  inside(id: { uid: number; gid: number }): { uid: number; gid: number }
  /** A failed write at path, as one line naming the path as the user gave it (never the /proc/self/fd one). */
  writeError(path: string, err: unknown): Error
}

const noop = () => undefined

/** An fs error's reason alone: "EROFS: read-only file system, open '…'" -> "read-only file system". */
export function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  const m = /^E[A-Z]+: ([^,]*)/.exec(e.message ?? '')
  return m ? m[1]! : (e.code ?? String(err))
}

function writeError(where: string, err: unknown, reason = reasonOf(err)): Error {
  if (err instanceof MiniRunError || !(err as NodeJS.ErrnoException).code) return err as Error
  return new MiniRunError(`copy to ${where}: ${reason}`, { code: (err as NodeJS.ErrnoException).code!, cause: err })
}

export function hostView(): FsView {
  return {
    at: (path) => ({ path, done: noop }),
    resolved: (path) => ({ path, done: noop }),
    describe: (path) => path,
    owner: () => undefined,
    inside: (id) => id,
    writeError: (path, err) => writeError(path, err),
  }
}

export interface RootViewOptions {
  rootFd: number
  /** For messages: "container NAME". */
  name: string
  /** For errors: how the user names the container in CONTAINER:PATH. */
  ref: string
  /** Docker's words for a read-only path ("mounted volume is marked read-only"), if it knows them. */
  readOnly?: (path: string) => string | undefined
  owner: FsView['owner']
  inside: FsView['inside']
}

/** Open a directory inside the root; an ENOENT names the user's path. */
function openIn(rootFd: number, path: string): number {
  for (let tries = 0; ; tries++) {
    try {
      return fileCalls.openInRoot(rootFd, path)
    } catch (err) {
      // a rename raced a ".." (openat2(2)): try again
      if ((err as native.NativeError).code === 'EAGAIN' && tries < 10) continue
      throw err
    }
  }
}

export function rootView(o: RootViewOptions): FsView {
  const norm = (path: string) => posix.resolve('/', path)
  return {
    at(path) {
      const p = norm(path)
      if (p === '/') return { path: `/proc/self/fd/${o.rootFd}/.`, done: noop }
      const dir = openIn(o.rootFd, posix.dirname(p))
      return { path: `/proc/self/fd/${dir}/${posix.basename(p)}`, done: () => closeSync(dir) }
    },
    resolved(path) {
      const fd = openIn(o.rootFd, norm(path))
      return { path: `/proc/self/fd/${fd}`, done: () => closeSync(fd) }
    },
    describe: (path) => `${norm(path)} in ${o.name}`,
    writeError: (path, err) => {
      const ro = (err as NodeJS.ErrnoException).code === 'EROFS' ? o.readOnly?.(norm(path)) : undefined
      return writeError(`${o.ref}:${norm(path)}`, err, ro)
    },
    owner: o.owner,
    inside: o.inside,
  }
}

/** Run fn on a ViewPath and release it, whatever happens. */
export function using<T>(vp: ViewPath, fn: (path: string) => T): T {
  try {
    return fn(vp.path)
  } finally {
    vp.done()
  }
}
