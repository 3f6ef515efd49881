/**
 * `build -o`: the target stage's filesystem (its layers merged, as a
 * container would see it) written out instead of stored as an image, as
 * BuildKit's local and tar exporters write it.
 *
 * local: into a directory on the host, made (0700, as buildx's MkdirAll)
 * if missing, over what is there: a file the tree has replaces the one in
 * the directory, a directory's content is merged, and whatever stands in
 * the way of a name (a directory where the tree has a file, a symlink or
 * file where it has a directory) is removed first, as BuildKit's receiver
 * (fsutil DiskWriter) does. Every path is resolved by the kernel inside
 * the directory (openat2 RESOLVE_IN_ROOT, the `cp` writer's view,
 * fs-view.ts), and its last component is never followed: a symlink the
 * image ships, or one the directory held from an earlier export
 * (`etc -> /etc`), is written as a link or replaced, never written
 * through, so nothing lands outside DEST (BuildKit's receiver moved to
 * os.OpenRoot for the same reason). Symlinks are copied verbatim.
 *
 * Modes and times are the image's; the files are the caller's, root's as
 * anyone's, as BuildKit's local exporter makes them. Device nodes are not made on the host, nor put in the
 * tar: a hostile image's /dev/sda-alike must not appear in a user's
 * directory; fifos and hard links are kept. A failed or interrupted
 * export removes the directory it made, so DEST is either whole or not
 * there; into one that was there, what was written stays.
 *
 * tar: the same entries as one uncompressed tar (owners always), to a file
 * (written beside it and renamed, output-file.ts) or to a stream.
 */
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, futimesSync, linkSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { MiniRunError } from '../errors.js'
import * as fileCalls from '../native/file-calls.js'
import { writeOutputFile } from '../output-file.js'
import { statItem, TreeWriter } from '../runtime/container/copy/copy-tree.js'
import { reasonOf, rootView, using, type FsView } from '../runtime/container/copy/fs-view.js'
import { tarStream, type LayerFile } from './layer-tar.js'
import { mergedEntries } from './merged-entries.js'
import type { MergedTree } from './merged-tree.js'

/** Where a build's filesystem goes (build-output.ts parses the flags into these). */
export type BuildOutput = { type: 'local'; dest: string } | { type: 'tar'; dest: string | Writable } | { type: 'cacheonly' }

/** open(2)'s O_PATH (asm-generic/fcntl.h), which Node's fs.constants lacks. */
const O_PATH = 0o10000000
const S_IFIFO = 0o010000
const CHUNK = 1024 * 1024
/** Entries written between two turns of the event loop, where a Ctrl-C gets in. */
const BATCH = 256

export async function exportOutput(tree: MergedTree, output: BuildOutput, signal?: AbortSignal): Promise<void> {
  if (output.type === 'local') await exportLocal(tree, output.dest, signal)
  else if (output.type === 'tar') await exportTar(tree, output.dest, signal)
}

/** The tree's entries that leave the store: no device node, nor a hard link to one. */
function* exportedEntries(tree: MergedTree, signal: AbortSignal | undefined): Generator<LayerFile> {
  const devices = new Set<string>()
  for (const f of mergedEntries(tree)) {
    signal?.throwIfAborted()
    if (f.type === 'char' || f.type === 'block') devices.add(f.path)
    else if (!(f.type === 'hardlink' && devices.has(f.linkname!))) yield f
  }
}

async function exportTar(tree: MergedTree, dest: string | Writable, signal: AbortSignal | undefined): Promise<void> {
  const tar = tarStream(exportedEntries(tree, signal))
  if (typeof dest !== 'string') return pipeline(Readable.from(tar), dest)
  // buildx makes the file's directory (its lazyFileWriter's MkdirAll)
  mkdirSync(dirname(dest), { recursive: true })
  await writeOutputFile(dest, tar)
}

async function exportLocal(tree: MergedTree, dest: string, signal: AbortSignal | undefined): Promise<void> {
  const made = atDest(dest, () => mkdirSync(dest, { recursive: true, mode: 0o700 }))
  try {
    // DEST itself is followed if it is a symlink: the user named it
    const rootFd = atDest(dest, () => openSync(dest, O_PATH | constants.O_DIRECTORY))
    try {
      await writeLocal(tree, destView(rootFd, dest), signal)
    } finally {
      closeSync(rootFd)
    }
  } catch (err) {
    if (made !== undefined) {
      try {
        fileCalls.removeTreeHere(made)
      } catch {
        // the export's own error says more
      }
    }
    throw err
  }
}

/** fn, an fs error of DEST itself said as one line naming it. */
function atDest<T>(dest: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw new MiniRunError(`export to ${dest}: ${reasonOf(err)}`, { code: (err as NodeJS.ErrnoException).code ?? 'EIO', cause: err })
  }
}

function destView(rootFd: number, dest: string): FsView {
  const view = rootView({
    rootFd,
    name: dest,
    ref: dest,
    // BuildKit gives every exported file to the user who asked for the
    // export (session/filesync diffcopy), root as anyone, not the image's owners
    owner: () => undefined,
    inside: (id) => id,
  })
  return {
    ...view,
    writeError(path, err) {
      if (err instanceof MiniRunError || !(err as NodeJS.ErrnoException).code) return err as Error
      return new MiniRunError(`export to ${dest.replace(/\/+$/, '')}${path}: ${reasonOf(err)}`, { code: (err as NodeJS.ErrnoException).code!, cause: err })
    },
  }
}

async function writeLocal(tree: MergedTree, view: FsView, signal: AbortSignal | undefined): Promise<void> {
  const writer = new TreeWriter(view)
  let n = 0
  for (const f of exportedEntries(tree, signal)) {
    if (++n % BATCH === 0) {
      await new Promise((resolve) => setImmediate(resolve))
      signal?.throwIfAborted()
    }
    const path = `/${f.path}`
    const time = new Date(f.mtime * 1000)
    const st = { mode: f.mode, uid: f.uid, gid: f.gid, mtime: time, atime: time, nlink: 1, dev: 0, ino: 0 }
    try {
      makeRoom(view, path, f.type === 'dir')
      if (f.type === 'dir') writer.dir(path, st)
      else if (f.type === 'symlink') writer.symlink(path, f.linkname!, st)
      else if (f.type === 'file') {
        const out = writer.file(path, st)!
        let ok = false
        try {
          copyFrom(f, out)
          ok = true
        } finally {
          if (ok) writer.finishFile(out, st)
          else closeSync(out)
        }
      } else if (f.type === 'hardlink') {
        const first = view.at(`/${f.linkname!}`)
        try {
          using(view.at(path), (p) => linkSync(first.path, p))
        } finally {
          first.done()
        }
      } else if (f.type === 'fifo') makeFifo(view, path, st)
    } catch (err) {
      throw view.writeError(path, err)
    }
  }
  writer.finish()
}

/**
 * Clear the way for an entry, as BuildKit's receiver does: a directory
 * stays for a directory (its content merges); anything else at the name
 * goes, a directory with its content, a symlink as a link (rm -r that
 * never follows one, mr_remove_tree).
 */
function makeRoom(view: FsView, path: string, dir: boolean): void {
  const st = statItem(view, path, false)
  if (!st || (dir && st.isDirectory())) return
  using(view.at(path), (p) => (st.isDirectory() ? fileCalls.removeTreeHere(p) : unlinkSync(p)))
}

/** A file's content from the layer that holds it (the store's own file: never a symlink). */
function copyFrom(f: LayerFile, out: number): void {
  let input: number
  try {
    input = openSync(f.source!, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (err) {
    throw new MiniRunError(`/${f.path} in the image: ${reasonOf(err)}`, { code: (err as NodeJS.ErrnoException).code ?? 'EIO', cause: err })
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK)
    for (;;) {
      const got = readSync(input, buf, 0, CHUNK, null)
      if (got === 0) return
      for (let off = 0; off < got; ) off += writeSync(out, buf, off, got - off)
    }
  } finally {
    closeSync(input)
  }
}

/** mknod the fifo, then its owner, mode and times through an fd of it (never a path that could have become a link). */
function makeFifo(view: FsView, path: string, st: { mode: number; uid: number; gid: number; mtime: Date; atime: Date }): void {
  using(view.at(path), (p) => fileCalls.mknod(p, S_IFIFO | 0o600, 0, 0))
  // O_NONBLOCK: opening a fifo for reading does not wait for a writer
  const fd = using(view.at(path), (p) => openSync(p, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW))
  try {
    if (!fstatSync(fd).isFIFO()) throw new MiniRunError(`${view.describe(path)} is no longer the fifo just made`)
    const owner = view.owner(st)
    if (owner) fchownSync(fd, owner.uid, owner.gid)
    fchmodSync(fd, st.mode & 0o7777)
    futimesSync(fd, st.atime, st.mtime)
  } finally {
    closeSync(fd)
  }
}
