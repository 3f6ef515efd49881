/**
 * COPY --from a stage or an image as an ordinary user. The layers on disk
 * hold files of the user's subordinate ids, which the user may not read (a
 * 0700 directory, a 0600 file of a container user): planned and packed by
 * the user's own process, such a COPY failed with EACCES. As RUN
 * --mount=type=bind,from= copies in the user's namespace (run-mounts.ts),
 * the sources are copied there, where they are readable: into a mirror of
 * the tree's root that stays the user's and readable by them (times kept),
 * each copy's owners and mode noted as the namespace shows them (the
 * container's ids); the COPY then reads the mirror, with what was noted.
 */
import { chmodSync, lutimesSync, mkdirSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { runHelper } from '../rootless/helper-process.js'
import type { SubordinateIds } from '../rootless/helper-process.js'
import { MergedTree } from './merged-tree.js'
import { materialize } from './run-mounts.js'
import { cleanSourcePath, hasGlob, HostDirSourceFs, TreeSourceFs, type SourceFs, type SourceItem } from './source-fs.js'

/** [path in the mirror, uid, gid, mode bits]: what the helper copied there, as the tree has it. */
export type NotedOwners = [string, number, number, number][]

/** The tree's sources as a SourceFs the user can read: a mirror under dir (which the caller removes). */
export async function readableTree(fs: TreeSourceFs, sources: readonly string[], dir: string, ids: SubordinateIds, signal?: AbortSignal): Promise<SourceFs> {
  mkdirSync(dir, { mode: 0o700 })
  const request = { op: 'mirror-copy' as const, layers: [...fs.tree.layers], sources: [...sources], dest: dir }
  const noted = (await runHelper(ids, request, `read the sources of the ${fs.label}`, signal)) as NotedOwners
  return new NotedOwnersFs(new HostDirSourceFs(dir), fs.label, new Map(noted.map(([path, uid, gid, mode]) => [path, { uid, gid, mode }])))
}

/** The directory a source names, or the one its pattern's matches are under. */
function sourceRoot(source: string): string {
  const segments = cleanSourcePath(source).split('/')
  const glob = segments.findIndex((s) => hasGlob(s))
  return (glob < 0 ? segments : segments.slice(0, glob)).join('/')
}

/** The helper's side (rootless/userns-helper.ts): each source and its directories copied, owners noted, not given. */
export function mirrorInUserNamespace(layers: readonly string[], sources: readonly string[], dest: string): NotedOwners {
  const fs = new TreeSourceFs(new MergedTree(layers), 'stage')
  const noted: NotedOwners = []
  const ancestors = new Map<string, SourceItem>()
  // parents first: a source under one already copied is in its copy
  const copied: string[] = []
  for (const rel of [...new Set(sources.map(sourceRoot))].sort((a, b) => a.length - b.length)) {
    if (copied.some((c) => c === '' || rel === c || rel.startsWith(`${c}/`))) continue
    const item = fs.lookup(rel)
    // not there: the COPY says so, reading the mirror
    if (!item) continue
    copied.push(rel)
    if (rel === '') {
      for (const child of fs.list(item)) materialize(fs, child, join(dest, child.rel), noted)
      ancestors.set('', item)
      continue
    }
    mkdirSync(join(dest, dirname(rel)), { recursive: true, mode: 0o700 })
    for (let up = posix.dirname(rel); ; up = posix.dirname(up)) {
      const dir = fs.lookup(up === '.' ? '' : up)
      if (dir) ancestors.set(up === '.' ? '' : up, dir)
      if (up === '.') break
    }
    materialize(fs, item, join(dest, rel), noted)
  }
  // the directories above a source as the tree has them (COPY --parents keeps them), deepest first
  for (const [rel, dir] of [...ancestors].sort(([a], [b]) => b.length - a.length)) {
    const path = rel === '' ? dest : join(dest, rel)
    noted.push([path, dir.stat.uid, dir.stat.gid, dir.stat.mode & 0o7777])
    chmodSync(path, (dir.stat.mode & 0o7777) | 0o700)
    lutimesSync(path, dir.stat.atime, dir.stat.mtime)
  }
  return noted
}

/** A mirror's items, with the owners the helper noted in place of the user's own. */
class NotedOwnersFs implements SourceFs {
  constructor(
    private readonly mirror: HostDirSourceFs,
    readonly label: string,
    private readonly owners: Map<string, { uid: number; gid: number; mode: number }>,
  ) {}

  lookup(rel: string): SourceItem | undefined {
    const item = this.mirror.lookup(rel)
    return item && this.owned(item)
  }

  list(dir: SourceItem): SourceItem[] {
    return this.mirror.list(dir).map((item) => this.owned(item))
  }

  private owned(item: SourceItem): SourceItem {
    const noted = this.owners.get(item.host)
    if (!noted) return item
    const stat = Object.assign(Object.create(Object.getPrototypeOf(item.stat) as object) as typeof item.stat, item.stat, { uid: noted.uid, gid: noted.gid, mode: (item.stat.mode & ~0o7777) | noted.mode })
    return { ...item, stat }
  }
}
