/**
 * Where COPY and ADD read from, behind one interface: the build context
 * (minus .dockerignore), another stage's or image's root filesystem (a
 * MergedTree of its layers), or a plain host directory (an archive that ADD
 * extracted). Source patterns are matched the same way on all of them: Go's
 * filepath.Match per path segment, as Docker does, plus "**".
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs'
import { join, posix } from 'node:path'
import { UsageError } from '../errors.js'
import { isWhiteout } from '../image/overlay-marks.js'
import type { MergedTree } from './merged-tree.js'

export interface SourceItem {
  /** Path relative to the source's root ("" for the root). */
  rel: string
  /** Where the bytes are on the host. */
  host: string
  stat: Stats
}

export interface SourceFs {
  /** What the error messages call it: "build context", "stage build". */
  readonly label: string
  /** The item at rel, the last symlink followed (as Docker follows a COPY source), or undefined. */
  lookup(rel: string): SourceItem | undefined
  /** The children of a directory item, sorted by name; excluded ones left out. */
  list(dir: SourceItem): SourceItem[]
  /** May a directory excluded itself still hold included entries? (.dockerignore "!" lines) */
  excluded?(rel: string): boolean
}

export function hasGlob(path: string): boolean {
  return /[*?[]/.test(path)
}

/** Go's filepath.Match for one path segment, as a RegExp. */
export function segmentRegex(segment: string): RegExp {
  let out = ''
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!
    if (ch === '*') out += '[^/]*'
    else if (ch === '?') out += '[^/]'
    else if (ch === '\\' && i + 1 < segment.length) out += escapeRegex(segment[++i]!)
    else if (ch === '[') {
      const end = segment.indexOf(']', i + 2)
      if (end < 0) throw new UsageError(`bad pattern ${JSON.stringify(segment)}: unterminated [`)
      let cls = segment.slice(i + 1, end)
      const negate = cls.startsWith('^') || cls.startsWith('!')
      if (negate) cls = cls.slice(1)
      out += `[${negate ? '^' : ''}${cls.replace(/\\/g, '\\\\').replace(/]/g, '\\]')}]`
      i = end
    } else out += escapeRegex(ch)
  }
  return new RegExp(`^${out}$`, 's')
}

function escapeRegex(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/**
 * A source path made relative to the source's root. As in BuildKit, it is
 * cleaned as an absolute path, so ".." stops at the root: "../x" is the
 * root's x, never something outside.
 */
export function cleanSourcePath(source: string): string {
  const clean = posix.normalize(`/${source}`).replace(/^\/+/, '').replace(/\/+$/, '')
  return clean === '.' ? '' : clean
}

/**
 * The items a COPY source names: a path, or a pattern. A path that is not
 * there throws, naming the source. A pattern matching nothing gives
 * nothing, as in BuildKit (AllowEmptyWildcard: `COPY package.json
 * yarn.loc[k] ./` copies package.json alone), unless the directory before
 * its first wildcard is missing (BuildKit fails there too, on its lstat).
 */
export function resolveSource(fs: SourceFs, source: string): SourceItem[] {
  const clean = cleanSourcePath(source)
  const notFound = () =>
    new UsageError(`${source}: not found in the ${fs.label}${fs.excluded ? ' (or excluded by .dockerignore)' : ''}`, { code: 'ENOENT' })
  if (!hasGlob(clean)) {
    const item = fs.lookup(clean)
    if (!item) throw notFound()
    return [item]
  }
  const seen = new Set<string>()
  const out: SourceItem[] = []
  const add = (item: SourceItem) => {
    if (!seen.has(item.rel)) {
      seen.add(item.rel)
      out.push(item)
    }
  }
  const root = fs.lookup('')
  if (root) glob(fs, root, clean.split('/'), add)
  if (out.length === 0) {
    const segments = clean.split('/')
    const prefix = segments.slice(0, segments.findIndex((seg) => hasGlob(seg))).join('/')
    if (!fs.lookup(prefix)?.stat.isDirectory()) throw notFound()
  }
  return out
}

function glob(fs: SourceFs, dir: SourceItem, segments: string[], add: (item: SourceItem) => void): void {
  const [segment, ...rest] = segments
  if (segment === undefined) return add(dir)
  if (!dir.stat.isDirectory()) return
  if (segment === '**') {
    glob(fs, dir, rest, add)
    for (const child of fs.list(dir)) if (child.stat.isDirectory()) glob(fs, child, segments, add)
    return
  }
  if (!hasGlob(segment)) {
    const child = fs.lookup(dir.rel === '' ? segment : `${dir.rel}/${segment}`)
    if (child) glob(fs, child, rest, add)
    return
  }
  const re = segmentRegex(segment)
  for (const child of fs.list(dir)) {
    if (!re.test(posix.basename(child.rel))) continue
    // a whole match is a source as if named: its symlink followed (fsutil's Copy takes each
    // match through RootPath), so `COPY l* /d/` copies link's target as d/link, and a linked
    // directory's contents; a dangling one matches nothing. A link on the way is not entered
    // (the matches come from a filepath.Walk, which does not follow links).
    const followed = rest.length === 0 && child.stat.isSymbolicLink() ? fs.lookup(child.rel) : child
    if (followed) glob(fs, followed, rest, add)
  }
}

/** Everything below a directory item, sorted depth first (parents before children). */
export function* walkSource(fs: SourceFs, dir: SourceItem): Generator<SourceItem> {
  for (const child of fs.list(dir)) {
    if (child.stat.isDirectory()) {
      const below = [...walkSource(fs, child)]
      // an excluded directory comes along only for what an exception brings back
      if (!fs.excluded?.(child.rel) || below.length > 0) yield child
      yield* below
    } else yield child
  }
}

/** A stage's or image's root filesystem, read from its layers. */
export class TreeSourceFs implements SourceFs {
  constructor(
    readonly tree: MergedTree,
    readonly label: string,
  ) {}

  lookup(rel: string): SourceItem | undefined {
    const node = this.tree.lookup(`/${rel}`, true)
    // named as asked: a link copied by its own name, with its target's content
    return node ? { rel, host: node.host, stat: node.stat } : undefined
  }

  list(dir: SourceItem): SourceItem[] {
    const node = this.tree.lookup(`/${dir.rel}`, true)
    if (!node) return []
    const out: SourceItem[] = []
    for (const name of this.tree.readdir(node)) {
      const child = this.tree.child(node, name)
      if (child) out.push({ rel: dir.rel === '' ? name : `${dir.rel}/${name}`, host: child.host, stat: child.stat })
    }
    return out
  }
}

/** A plain host directory (what ADD extracted from an archive). */
export class HostDirSourceFs implements SourceFs {
  readonly label = 'archive'
  constructor(readonly root: string) {}

  lookup(rel: string): SourceItem | undefined {
    try {
      return { rel, host: rel === '' ? this.root : join(this.root, rel), stat: lstatSync(rel === '' ? this.root : join(this.root, rel)) }
    } catch {
      return undefined
    }
  }

  list(dir: SourceItem): SourceItem[] {
    return readdirSync(dir.host)
      .sort()
      .map((name) => ({ rel: dir.rel === '' ? name : `${dir.rel}/${name}`, host: join(dir.host, name), stat: lstatSync(join(dir.host, name)) }))
      // an archive's own whiteout entries were made into 0:0 devices: not content
      .filter((item) => !isWhiteout(item.stat))
  }
}
