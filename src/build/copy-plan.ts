/**
 * COPY and ADD as layer entries (pure, apart from reading the sources):
 * Docker's rules for where each source lands, then the entries of a layer
 * that holds exactly that, and the content digest the cache keys on.
 *
 * Docker's rules (Dockerfile reference, COPY): a relative destination is
 * relative to WORKDIR; several sources (by listing or by a pattern) need a
 * destination directory ending in "/"; a source directory's contents are
 * copied, not the directory itself; a file lands at the destination itself
 * unless that ends in "/" or is an existing directory; missing parents are
 * created. Files from the context belong to root unless --chown says
 * otherwise; files from another stage or image keep their owners.
 *
 * The directories above what is copied are in the layer too, each with the
 * metadata the image already gives it (or 0755 when the copy creates it):
 * an unpacker makes a missing parent with default metadata, and an upper
 * directory's metadata hides the lower one's, so leaving them out would
 * turn /tmp's 1777 into 0755.
 *
 * --parents and --exclude (Dockerfile 1.20 and 1.19) narrow what a source
 * gives (copy-select.ts): --parents keeps each source's path below the
 * destination, which is then always a directory; --exclude leaves out
 * what its patterns match, by the path an entry would have below the
 * destination (a file the source names itself, by its own name).
 */
import { closeSync, openSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs'
import { posix } from 'node:path'
import { createHash } from 'node:crypto'
import { UsageError } from '../errors.js'
import type { ModeChange } from './chmod-mode.js'
import type { LayerFile } from './layer-tar.js'
import { resolveParents, selectBelow } from './copy-select.js'
import type { PathPatterns } from './path-patterns.js'
import { resolveSource, walkSource, type SourceFs, type SourceItem } from './source-fs.js'

export interface CopySource {
  fs: SourceFs
  /** The source as written (after expansion): a path or a pattern. */
  path: string
  /** Keep the files' owners (COPY --from, an archive ADD extracted); else they are root's. */
  keepOwners?: boolean
}

export interface InlineFile {
  /** A heredoc: `COPY <<EOF /dest`. */
  name: string
  content: Buffer
}

export interface CopyOptions {
  /** The destination as written (after expansion). */
  dest: string
  workdir: string
  /** The image so far: where the destination's parents already exist (its lookups of copyWalks at least). */
  tree: PathLookups
  chown?: { uid: number; gid: number }
  /** --chmod: a mode, or a change of each entry's own (chmod-mode.ts). */
  chmod?: number | ModeChange
  /** mtime of heredoc files and of directories the copy creates. */
  now: number
  /** --parents: each source's directories are kept below the destination. */
  parents?: boolean
  /** --exclude: what the sources would give that these match is left out (never a heredoc). */
  exclude?: PathPatterns
}

function modeOf(chmod: CopyOptions['chmod'], mode: number, isDir: boolean): number {
  return chmod === undefined ? mode : typeof chmod === 'number' ? chmod : chmod(mode, isDir)
}

/** What a step asks of the image: a node (canonical path and stat) by path, symlinks followed (the last one if followLast). */
export interface PathLookups {
  lookup(path: string, followLast?: boolean): { path: string; stat: Stats } | undefined
}

/** The lookups a step makes: `lookups` as given (the last link followed), and ensureDirs' below `ensure` (dest-lookups.ts). */
export interface Walks {
  lookups: string[]
  ensure: string[]
}

/** The destination, absolute: a relative one is relative to WORKDIR. */
function absoluteDest(dest: string, workdir: string): string {
  return posix.normalize(dest.startsWith('/') ? dest : posix.join(workdir || '/', dest))
}

/** What planCopy looks up in the image: the destination, and the directories above it or above its parent. */
export function copyWalks(dest: string, workdir: string): Walks {
  const absolute = absoluteDest(dest, workdir)
  return { lookups: [absolute], ensure: [absolute, posix.dirname(absolute)] }
}

/** What a COPY makes: the layer's entries, in walk order. */
export function planCopy(sources: CopySource[], inline: InlineFile[], o: CopyOptions): LayerFile[] {
  // include: a --parents pattern, matched below the item
  const items: { fs?: SourceFs; item?: SourceItem; keep?: boolean; include?: PathPatterns; inline?: InlineFile }[] = []
  for (const s of sources) {
    const keep = s.keepOwners === true
    if (o.parents) for (const { item, include } of resolveParents(s.fs, s.path)) items.push({ fs: s.fs, item, keep, ...(include ? { include } : {}) })
    else for (const item of resolveSource(s.fs, s.path)) items.push({ fs: s.fs, item, keep })
  }
  for (const f of inline) items.push({ inline: f })

  const destText = o.dest
  const absolute = absoluteDest(destText, o.workdir)
  const endsWithSlash = /\/\.?$/.test(destText) || destText === '.'
  const existing = o.tree.lookup(absolute)
  // --parents copies each source's root into the destination, as a directory's contents are
  const destIsDir = o.parents === true || endsWithSlash || existing?.stat.isDirectory() === true || items.some((i) => i.item?.stat.isDirectory())
  if (items.length > 1 && !destIsDir) {
    throw new UsageError(`when copying more than one source the destination must be a directory ending in "/": ${destText}`)
  }
  const entries = new Map<string, LayerFile>()
  const created = (path: string): LayerFile => ({
    path,
    type: 'dir',
    mode: 0o755,
    uid: o.chown?.uid ?? 0,
    gid: o.chown?.gid ?? 0,
    mtime: o.now,
  })
  // the directory the sources land in, through the image's own symlinks
  const landing = destIsDir ? absolute : posix.dirname(absolute)
  const dir = ensureDirs(o.tree, landing, entries, created)

  const owner = (item: SourceItem, keep: boolean) => o.chown ?? (keep ? { uid: item.stat.uid, gid: item.stat.gid } : { uid: 0, gid: 0 })
  // hard links inside one copied directory stay links, as BuildKit's copier keeps them (its
  // inode map lives for one source); each link's file, should a later source replace its target
  const linked = new Map<string, LayerFile>()
  const add = (path: string, item: SourceItem, keep: boolean, inodes?: Map<string, string>) => {
    const st = item.stat
    const base = { path, ...owner(item, keep), mode: modeOf(o.chmod, st.mode & 0o7777, st.isDirectory()), mtime: Math.floor(st.mtimeMs / 1000) }
    const file: LayerFile = { ...base, type: 'file', size: st.size, source: item.host }
    const first = st.isFile() && st.nlink > 1 ? inodes?.get(`${st.dev}:${st.ino}`) : undefined
    if (first !== undefined) {
      entries.set(path, { ...base, type: 'hardlink', linkname: first })
      linked.set(path, file)
    } else if (st.isDirectory()) entries.set(path, { ...base, type: 'dir' })
    else if (st.isFile()) {
      if (st.nlink > 1) inodes?.set(`${st.dev}:${st.ino}`, path)
      entries.set(path, file)
    }
    else if (st.isSymbolicLink()) {
      entries.set(path, { ...base, mode: st.mode & 0o7777, type: 'symlink', linkname: readlinkSync(item.host) })
    }
    // sockets, fifos and devices are not copied, as in BuildKit
  }
  const join = (a: string, b: string) => (a === '' ? b : `${a}/${b}`)
  for (const { fs, item, keep = false, include, inline: file } of items) {
    if (file) {
      const path = destIsDir ? join(dir, file.name) : join(dir, posix.basename(absolute))
      entries.set(path, { path, type: 'file', mode: modeOf(o.chmod, 0o644, false), uid: o.chown?.uid ?? 0, gid: o.chown?.gid ?? 0, mtime: o.now, size: file.content.length, content: file.content })
      continue
    }
    if (item!.stat.isDirectory()) {
      // the directory's contents, not the directory itself
      const inodes = new Map<string, string>()
      for (const { rel, item: child } of selectBelow(fs!, item!, include, o.exclude)) add(join(dir, rel), child, keep, inodes)
      continue
    }
    // a --parents pattern below a file matches nothing
    if (include || o.exclude?.matches(posix.basename(item!.rel))) continue
    add(destIsDir ? join(dir, posix.basename(item!.rel)) : join(dir, posix.basename(absolute)), item!, keep)
  }
  // a later source took the first name of some links: the first of them holds the bytes
  // again and the others link to it (walk order, which is the layer's order)
  const moved = new Map<string, string>()
  for (const [path, file] of linked) {
    const entry = entries.get(path)
    if (entry?.type !== 'hardlink') continue
    const target = entries.get(entry.linkname!)
    if (target?.type === 'file' && target.source !== undefined && sameFile(target.source, file.source!)) continue
    const first = moved.get(entry.linkname!)
    if (first !== undefined) entries.set(path, { ...entry, linkname: first })
    else {
      moved.set(entry.linkname!, path)
      entries.set(path, file)
    }
  }
  return sortEntries([...entries.values()])
}

/**
 * Entries for the directory `path` (absolute) and each of its parents:
 * the image's own metadata where they exist, `created` where they do not.
 * Returns the directory's canonical path (symlinks of the image followed),
 * relative to the root.
 */
export function ensureDirs(tree: PathLookups, path: string, entries: Map<string, LayerFile>, created: (path: string) => LayerFile): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.')
  let canonical = ''
  let missing = false
  for (const part of parts) {
    if (part === '..') {
      canonical = posix.dirname(`/${canonical}`).slice(1)
      continue
    }
    const next = canonical === '' ? part : `${canonical}/${part}`
    if (!missing) {
      const node = tree.lookup(`/${next}`, true)
      if (node) {
        if (!node.stat.isDirectory()) throw new UsageError(`cannot copy into /${next}: it is not a directory in the image`)
        canonical = node.path.slice(1)
        continue
      }
      missing = true
    }
    canonical = next
  }
  // every directory on the way, from the root down
  let prefix = ''
  for (const part of canonical.split('/').filter(Boolean)) {
    prefix = prefix === '' ? part : `${prefix}/${part}`
    const node = tree.lookup(`/${prefix}`, false)
    if (node?.stat.isDirectory()) {
      const st = node.stat
      entries.set(prefix, { path: prefix, type: 'dir', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) })
    } else entries.set(prefix, created(prefix))
  }
  return canonical
}

/** Parents before children, siblings by name: the order of a sorted walk. */
export function sortEntries(entries: LayerFile[]): LayerFile[] {
  const key = (f: LayerFile) => f.path.split('/')
  return entries.sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1
    }
    return ka.length - kb.length
  })
}

/**
 * The content digest of a layer's entries: paths, kinds, modes, owners,
 * link targets and file contents, never mtimes (a `touch` or a fresh `git
 * clone` must not invalidate the cache; BuildKit's content checksums make
 * the same choice).
 */
export function contentDigest(entries: readonly LayerFile[]): string {
  const h = createHash('sha256')
  for (const f of entries) {
    h.update(JSON.stringify([f.path, f.type, f.mode, f.uid, f.gid, f.linkname ?? '', f.size ?? 0]))
    if (f.type === 'file') h.update(f.content ? sha256(f.content) : hashFile(f.source!))
    h.update('\n')
  }
  return `sha256:${h.digest('hex')}`
}

/** The content digest of a source item and everything below it (a RUN bind mount's). */
export function sourceDigest(fs: SourceFs, item: SourceItem): string {
  const items = item.stat.isDirectory() ? [item, ...walkSource(fs, item)] : [item]
  return contentDigest(
    items.map((f) => {
      const st = f.stat
      const type: LayerFile['type'] = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'fifo'
      const linkname = st.isSymbolicLink() ? readlinkSync(f.host) : undefined
      return { path: f.rel, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: 0, size: st.isFile() ? st.size : 0, ...(st.isFile() ? { source: f.host } : {}), ...(linkname !== undefined ? { linkname } : {}) }
    }),
  )
}

function sameFile(a: string, b: string): boolean {
  const [x, y] = [statSync(a), statSync(b)]
  return x.dev === y.dev && x.ino === y.ino
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

const HASH_BUFFER = Buffer.alloc(1 << 20)

export function hashFile(path: string): string {
  const h = createHash('sha256')
  const fd = openSync(path, 'r')
  try {
    for (;;) {
      const n = readSync(fd, HASH_BUFFER, 0, HASH_BUFFER.length, null)
      if (n === 0) break
      h.update(HASH_BUFFER.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return h.digest('hex')
}
