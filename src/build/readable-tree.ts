/**
 * COPY --from a stage or an image as an ordinary user. The layers on disk
 * hold files of the user's subordinate ids, which the user may not read (a
 * 0700 directory, a 0600 file of a container user): planned and packed by
 * the user's own process, such a COPY failed with EACCES. The COPY plans on
 * disk first, on a strict tree (where a name it may not read throws EACCES
 * rather than reading as absent; copy-step.ts); on EACCES the sources are
 * resolved in the user's namespace instead (rootless/userns-helper.ts),
 * where they are readable and stat shows the container's ids: each source
 * word resolved and selected as the COPY does it, every answer of the tree
 * recorded; the bytes of each regular file selected copied into a
 * directory of the user's (one copy per inode), each symlink selected made
 * there with its target. The COPY then reads that
 * record (RecordedFs), the same answers in the same order, so its layer
 * and cache key are what a root build makes; nothing is looked up on the
 * host, where the image's symlinks would lead out of it.
 */
import { constants as fsConstants, chmodSync, copyFileSync, mkdirSync, readlinkSync, symlinkSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../errors.js'
import { runHelper, type SubordinateIds } from '../rootless/helper-process.js'
import { excludePatterns, resolveParents, selectBelow } from './copy-select.js'
import type { PathPatterns } from './path-patterns.js'
import { MergedTree } from './merged-tree.js'
import { resolveSource, TreeSourceFs, type SourceFs, type SourceItem } from './source-fs.js'

/** What the tree said of a path: its stat's fields, and the name of its bytes' (or link's) copy, when the COPY takes it. */
interface Answer {
  rel: string
  kind: 'dir' | 'file' | 'symlink' | 'other'
  mode: number
  uid: number
  gid: number
  mtimeMs: number
  size: number
  nlink: number
  dev: number
  ino: number
  copy?: string
}

/** The tree's answers: lookups by path (null: none there), listings by directory. */
export interface TreeRecord {
  lookups: [string, Answer | null][]
  lists: [string, Answer[]][]
}

/** What a COPY selects of its sources: the words, --parents, --exclude as written. */
export interface CopySelection {
  sources: string[]
  parents: boolean
  exclude: string[]
}

/** The tree's sources as a SourceFs the user can read: its record, the bytes under dir (which the caller removes). */
export async function readableTree(fs: TreeSourceFs, selection: CopySelection, dir: string, ids: SubordinateIds, signal?: AbortSignal): Promise<SourceFs> {
  mkdirSync(dir, { mode: 0o700 })
  const request = { op: 'mirror-copy' as const, layers: [...fs.tree.layers], ...selection, dest: dir }
  return new RecordedFs((await runHelper(ids, request, `read the sources of the ${fs.label}`, signal)) as TreeRecord, fs.label, dir)
}

/**
 * The helper's side: the sources resolved and selected as the COPY does it
 * (resolveSource or resolveParents, then selectBelow with its patterns),
 * every answer recorded; the bytes of what is selected copied to dest.
 */
export function recordInUserNamespace(layers: readonly string[], selection: CopySelection, dest: string): TreeRecord {
  const tree = new TreeSourceFs(new MergedTree(layers), 'stage')
  const lookups = new Map<string, Answer | null>()
  const lists = new Map<string, Answer[]>()
  const answers = new Map<SourceItem, Answer>()
  const answer = (item: SourceItem): Answer => {
    const st = item.stat
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other'
    const a: Answer = { rel: item.rel, kind, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs, size: st.size, nlink: st.nlink, dev: st.dev, ino: st.ino }
    answers.set(item, a)
    return a
  }
  const recording: SourceFs = {
    label: tree.label,
    lookup(rel) {
      const item = tree.lookup(rel)
      if (!lookups.has(rel)) lookups.set(rel, item ? answer(item) : null)
      return item
    },
    list(dir) {
      const items = tree.list(dir)
      if (!lists.has(dir.rel)) lists.set(dir.rel, items.map(answer))
      return items
    },
  }
  // a file's bytes, or a link's target, copied once per inode for what the COPY takes
  const copies = new Map<string, string>()
  const take = (item: SourceItem) => {
    const a = answers.get(item)
    if (!a || (a.kind !== 'file' && a.kind !== 'symlink')) return
    const inode = `${a.dev}:${a.ino}`
    let name = copies.get(inode)
    if (name === undefined) {
      name = String(copies.size)
      if (a.kind === 'file') {
        copyFileSync(item.host, join(dest, name), fsConstants.COPYFILE_FICLONE)
        chmodSync(join(dest, name), 0o600)
      } else symlinkSync(readlinkSync(item.host), join(dest, name))
      copies.set(inode, name)
    }
    a.copy = name
  }
  const exclude = excludePatterns(selection.exclude)
  for (const source of selection.sources) {
    let roots: { item: SourceItem; include?: PathPatterns }[]
    try {
      roots = selection.parents ? resolveParents(recording, source) : resolveSource(recording, source).map((item) => ({ item }))
    } catch (err) {
      // not found, a bad pattern: the COPY says so, from the record; anything else is the helper's failure
      if (err instanceof UsageError) continue
      throw err
    }
    for (const { item, include } of roots) {
      if (!item.stat.isDirectory()) take(item)
      else for (const { item: child } of selectBelow(recording, item, include, exclude)) take(child)
    }
  }
  return { lookups: [...lookups], lists: [...lists] }
}

/** A stat of the record: the fields and tests a COPY reads. */
function statOf(a: Answer): Stats {
  const is = (kind: Answer['kind']) => () => a.kind === kind
  return { mode: a.mode, uid: a.uid, gid: a.gid, mtimeMs: a.mtimeMs, size: a.size, nlink: a.nlink, dev: a.dev, ino: a.ino, isDirectory: is('dir'), isFile: is('file'), isSymbolicLink: is('symlink') } as unknown as Stats
}

/** The record as a SourceFs: the tree's own answers, and none it was not asked in the namespace. */
class RecordedFs implements SourceFs {
  private readonly lookups: Map<string, SourceItem | undefined>
  private readonly lists: Map<string, SourceItem[]>

  constructor(record: TreeRecord, readonly label: string, dir: string) {
    const item = (a: Answer): SourceItem => ({ rel: a.rel, host: a.copy === undefined ? '' : join(dir, a.copy), stat: statOf(a) })
    this.lookups = new Map(record.lookups.map(([rel, a]) => [rel, a ? item(a) : undefined]))
    this.lists = new Map(record.lists.map(([rel, list]) => [rel, list.map(item)]))
  }

  lookup(rel: string): SourceItem | undefined {
    if (!this.lookups.has(rel)) throw new MiniRunError(`COPY from the ${this.label}: ${rel} was not read in the user namespace`)
    return this.lookups.get(rel)
  }

  list(dir: SourceItem): SourceItem[] {
    const items = this.lists.get(dir.rel)
    if (!items) throw new MiniRunError(`COPY from the ${this.label}: ${dir.rel || '/'} was not listed in the user namespace`)
    return items
  }
}
