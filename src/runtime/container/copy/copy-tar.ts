/**
 * `cp` with "-": SRC as a tar stream on stdout (`cp C:/path -`), or a tar
 * stream from stdin unpacked into a directory (`cp - C:/dir`), as Docker
 * does. The tar written names the copied item by its base name (its
 * content only, for SRC ending in "/."), with the ids the container sees.
 * A tar read is unpacked inside the destination: an entry whose path would
 * leave it ("../x") is refused, an absolute one is taken as relative.
 */
import { closeSync, readSync, writeSync, type Stats } from 'node:fs'
import { posix } from 'node:path'
import { MiniRunError, UsageError } from '../../../errors.js'
import { TarReader, type TarEntry } from '../../../image/tar-reader.js'
import { encodeHeader, END_OF_ARCHIVE, padding, type TarWriteEntry } from '../../../image/tar-writer.js'
import { copyTarget, followsTop, notFound, openSourceFile, statItem, TreeWriter, walk, type CopyEnd, type CopyOptions } from './copy-tree.js'

const CHUNK = 1024 * 1024

/** SRC as a tar stream, each piece given to write (which may make it wait). */
export async function tarFrom(src: CopyEnd, o: CopyOptions, write: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  const follow = followsTop(src.path, o)
  const srcStat = statItem(src.view, src.path, follow)
  if (!srcStat) throw notFound(src.view, src.path)
  const top = follow ? srcStat : statItem(src.view, src.path, false)!
  const contentsOnly = /(^|\/)\.$/.test(src.path) && srcStat.isDirectory()
  const base = contentsOnly ? '.' : posix.basename(posix.resolve('/', src.path)) || '.'
  const links = new Map<string, string>()
  for (const item of walk(src.view, src.path, top)) {
    const st = item.stat
    const name = item.rel ? `${base}/${item.rel}` : base
    const ids = src.view.inside({ uid: st.uid, gid: st.gid })
    const entry: TarWriteEntry = { path: name, type: 'file', mode: st.mode & 0o7777, uid: ids.uid, gid: ids.gid, mtime: Math.floor(st.mtimeMs / 1000) }
    if (st.isDirectory()) {
      await write(encodeHeader({ ...entry, path: `${name}/`, type: 'dir' }))
    } else if (st.isSymbolicLink()) {
      await write(encodeHeader({ ...entry, type: 'symlink', linkpath: item.linkTarget! }))
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`
      const first = st.nlink > 1 ? links.get(key) : undefined
      if (first !== undefined) {
        await write(encodeHeader({ ...entry, type: 'hardlink', linkpath: first }))
        continue
      }
      if (st.nlink > 1) links.set(key, name)
      const fd = openSourceFile(src.view, item.rel ? posix.join(src.path, item.rel) : src.path, follow && item.rel === '')
      try {
        await write(encodeHeader({ ...entry, size: st.size }))
        // exactly the size announced: a file that grows or shrinks meanwhile is cut or padded
        let left = st.size
        const buf = Buffer.allocUnsafe(CHUNK)
        while (left > 0) {
          const n = readSync(fd, buf, 0, Math.min(CHUNK, left), null)
          if (n === 0) break
          await write(Buffer.from(buf.subarray(0, n)))
          left -= n
        }
        if (left > 0) await write(Buffer.alloc(left))
        await write(padding(st.size))
      } finally {
        closeSync(fd)
      }
    }
  }
  await write(END_OF_ARCHIVE)
}

/** Where an entry lands under dir, or an error when it would leave it. */
function entryPath(dir: string, name: string): string {
  const rel = posix.normalize(name.replace(/^\/+/, ''))
  if (rel === '..' || rel.startsWith('../')) throw new MiniRunError(`tar entry ${JSON.stringify(name)} would be written outside the destination`, { code: 'EBREAKOUT' })
  return rel === '.' || rel === '' ? dir : posix.join(dir, rel)
}

/** Unpack a tar stream into the directory DEST. */
export async function tarInto(dst: CopyEnd, input: AsyncIterable<Buffer>): Promise<void> {
  const dstStat = statItem(dst.view, dst.path, true)
  if (!dstStat) throw new MiniRunError(`no such directory: ${dst.view.describe(dst.path)}`, { code: 'ENOENT' })
  if (!dstStat.isDirectory()) throw new UsageError(`destination ${dst.view.describe(dst.path)} must be a directory`)
  await unpack(dst, input, (name) => entryPath(dst.path, name))
}

/**
 * tarFrom's stream of SRC written at DEST as copyTree writes SRC there (a
 * directory DEST gets it inside, else it becomes DEST, by Docker's rules):
 * a rootless container's files read in its namespace (copy-in-userns.ts),
 * written on the host as the user.
 */
export async function tarOnto(srcPath: string, dst: CopyEnd, input: AsyncIterable<Buffer>): Promise<void> {
  let top: { name: string; to: string } | undefined
  await unpack(dst, input, (name, e) => {
    if (!top) {
      // the first entry is SRC itself: its kind decides where it lands
      const isDir = e?.type === 'dir'
      top = { name: name.replace(/\/+$/, ''), to: copyTarget(srcPath, { isDirectory: () => isDir } as Stats, dst) }
    }
    const clean = name.replace(/\/+$/, '')
    if (clean === top.name) return top.to
    if (!clean.startsWith(`${top.name}/`)) throw new MiniRunError(`tar entry ${JSON.stringify(name)} is not under ${JSON.stringify(top.name)}`, { code: 'EBREAKOUT' })
    return entryPath(top.to, clean.slice(top.name.length + 1))
  })
}

/** Write each entry where place() puts it; hard links are placed by the same rule. */
async function unpack(dst: CopyEnd, input: AsyncIterable<Buffer>, place: (name: string, e?: TarEntry) => string): Promise<void> {
  const writer = new TreeWriter(dst.view)
  let out: { fd: number; entry: TarEntry } | undefined
  const times = (e: TarEntry) => ({ mode: e.mode, uid: e.uid, gid: e.gid, mtime: new Date(e.mtime * 1000), atime: new Date(e.mtime * 1000) })
  const reader = new TarReader({
    entry(e) {
      const path = place(e.path, e)
      if (e.type === 'dir') writer.dir(path, times(e))
      else if (e.type === 'symlink') writer.symlink(path, e.linkpath, times(e))
      else if (e.type === 'hardlink') {
        const from = place(e.linkpath)
        const fd = writer.file(path, { ...times(e), nlink: 2, dev: 0, ino: 0 }, `tar:${from}`)
        if (fd !== undefined) {
          // the first name of it was not in this archive: nothing to link to
          closeSync(fd)
          throw new MiniRunError(`tar entry ${JSON.stringify(e.path)} links to ${JSON.stringify(e.linkpath)}, which the archive does not hold`)
        }
      } else if (e.type === 'file') {
        const fd = writer.file(path, { ...times(e), nlink: 2, dev: 0, ino: 0 }, `tar:${path}`)
        if (fd !== undefined) out = { fd, entry: e }
      }
      // devices and fifos are not made by cp
    },
    data(chunk) {
      if (out) for (let off = 0; off < chunk.length; ) off += writeSync(out.fd, chunk, off, chunk.length - off)
    },
    entryEnd() {
      if (out) writer.finishFile(out.fd, times(out.entry))
      out = undefined
    },
  })
  try {
    for await (const chunk of input) reader.write(chunk)
    reader.end()
  } finally {
    if (out) closeSync(out.fd)
  }
  writer.finish()
}
