/**
 * COPY --from a stage or an image as an ordinary user. The layers on disk
 * hold files of the user's subordinate ids, which the user may not read (a
 * 0700 directory, a 0600 file of a container user): planned and packed by
 * the user's own process, such a COPY failed with EACCES. So the sources
 * are resolved in the user's namespace instead (rootless/userns-helper.ts),
 * where they are readable and stat shows the container's ids: each source
 * word as the COPY resolves it (resolveSource, resolveParents), each
 * directory found walked whole, every answer of the tree recorded; a
 * regular file's bytes copied into a directory of the user's (one copy per
 * inode), a symlink made there with its target. The COPY then reads that
 * record (RecordedFs), the same answers in the same order, so its layer
 * and cache key are what a root build makes; nothing is looked up on the
 * host, where the image's symlinks would lead out of it.
 */
import { constants as fsConstants, chmodSync, copyFileSync, mkdirSync, readlinkSync, symlinkSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { runHelper, type SubordinateIds } from '../rootless/helper-process.js'
import { resolveParents } from './copy-select.js'
import { MergedTree } from './merged-tree.js'
import { resolveSource, TreeSourceFs, type SourceFs, type SourceItem } from './source-fs.js'

/** What the tree said of a path: its stat's fields, and where the user reads its bytes or link. */
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
  host: string
}

/** The tree's answers: lookups by path (null: none there), listings by directory. */
export interface TreeRecord {
  lookups: [string, Answer | null][]
  lists: [string, Answer[]][]
}

/** The tree's sources as a SourceFs the user can read: its record, the bytes under dir (which the caller removes). */
export async function readableTree(fs: TreeSourceFs, sources: readonly string[], parents: boolean, dir: string, ids: SubordinateIds, signal?: AbortSignal): Promise<SourceFs> {
  mkdirSync(dir, { mode: 0o700 })
  const request = { op: 'mirror-copy' as const, layers: [...fs.tree.layers], sources: [...sources], parents, dest: dir }
  return new RecordedFs((await runHelper(ids, request, `read the sources of the ${fs.label}`, signal)) as TreeRecord, fs.label)
}

/** The helper's side: the sources resolved as the COPY resolves them, every answer recorded, bytes copied to dest. */
export function recordInUserNamespace(layers: readonly string[], sources: readonly string[], parents: boolean, dest: string): TreeRecord {
  const tree = new TreeSourceFs(new MergedTree(layers), 'stage')
  const record: TreeRecord = { lookups: [], lists: [] }
  const copies = new Map<string, string>()
  const answer = (item: SourceItem): Answer => {
    const st = item.stat
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other'
    const inode = `${st.dev}:${st.ino}`
    let host = copies.get(inode) ?? ''
    if (!host && (kind === 'file' || kind === 'symlink')) {
      host = join(dest, String(copies.size))
      if (kind === 'file') {
        copyFileSync(item.host, host, fsConstants.COPYFILE_FICLONE)
        chmodSync(host, 0o600)
      } else symlinkSync(readlinkSync(item.host), host)
      copies.set(inode, host)
    }
    return { rel: item.rel, kind, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs, size: st.size, nlink: st.nlink, dev: st.dev, ino: st.ino, host }
  }
  const listed = new Set<string>()
  const recording: SourceFs = {
    label: tree.label,
    lookup(rel) {
      const item = tree.lookup(rel)
      record.lookups.push([rel, item ? answer(item) : null])
      return item
    },
    list(dir) {
      const items = tree.list(dir)
      if (!listed.has(dir.rel)) record.lists.push([dir.rel, items.map(answer)])
      listed.add(dir.rel)
      return items
    },
  }
  const walk = (item: SourceItem): void => {
    if (item.stat.isDirectory()) for (const child of recording.list(item)) walk(child)
  }
  for (const source of sources) {
    try {
      // a source's directories are walked whole: what --exclude or a --parents pattern keeps of them is the COPY's choice
      for (const item of parents ? resolveParents(recording, source).map((r) => r.item) : resolveSource(recording, source)) walk(item)
    } catch {
      // not found: the COPY says so, from the record
    }
  }
  return record
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

  constructor(record: TreeRecord, readonly label: string) {
    const item = (a: Answer): SourceItem => ({ rel: a.rel, host: a.host, stat: statOf(a) })
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
