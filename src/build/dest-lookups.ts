/**
 * Where a COPY, ADD or WORKDIR writes, as the image so far has it: the
 * destination and each directory above it (copy-plan.ts ensureDirs), whose
 * owners and modes the step's layer repeats.
 *
 * An ordinary user's layers hold directories of the user's subordinate ids
 * that the user cannot search (a 0700 directory of a container user's).
 * Read on the host, a name below one looked absent: the step then wrote
 * its parents again as 0755 root:root over the image's, a WORKDIR that
 * existed made a layer, and a COPY onto an existing directory replaced it
 * with a file. So the lookups are made on a strict tree, where such a name
 * fails with EACCES; on that failure they are made again in the user's
 * namespace (rootless/userns-helper.ts), where every name is readable and
 * stat shows the container's ids. Either way the step reads a record of
 * the answers, the lookups it was planned to ask and no other.
 */
import type { Stats } from 'node:fs'
import { describeError, MiniRunError } from '../errors.js'
import { isRoot } from '../paths.js'
import { runHelper } from '../rootless/helper-process.js'
import { ownSubordinateIds } from '../rootless/subordinate-ids.js'
import { ensureDirs, type PathLookups, type Walks } from './copy-plan.js'
import { MergedTree } from './merged-tree.js'

type Answer = { path: string; kind: 'dir' | 'file' | 'symlink' | 'other'; mode: number; uid: number; gid: number; mtimeMs: number } | null | { error: string; code?: string }

/** The answers, each keyed by "+path" (the last link followed) or "-path". */
export type LookupRecord = [string, Answer][]

const keyOf = (path: string, followLast: boolean) => `${followLast ? '+' : '-'}${path}`

const isAccessError = (err: unknown) => (err as { code?: unknown }).code === 'EACCES'

/** The walks made on `tree`, every answer recorded; an EACCES is thrown (the record would be wrong), any other failure recorded. */
export function recordLookups(tree: PathLookups, walks: Walks): LookupRecord {
  const answers = new Map<string, Answer>()
  const recording: PathLookups = {
    lookup(path, followLast = true) {
      const key = keyOf(path, followLast)
      try {
        const node = tree.lookup(path, followLast)
        const st = node?.stat
        const kind = !st ? 'other' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other'
        answers.set(key, node && st ? { path: node.path, kind, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs } : null)
        return node
      } catch (thrown) {
        // a store path's error (lstat's, lgetxattr's) named by the image's path
        const code = (thrown as { code?: unknown }).code
        const err = thrown instanceof MiniRunError ? thrown : new MiniRunError(`${path} in the image: ${typeof code === 'string' ? code : describeError(thrown)}`, { ...(typeof code === 'string' ? { code } : {}), cause: thrown })
        if (!isAccessError(err)) answers.set(key, { error: err.message, ...(err.code !== undefined ? { code: err.code } : {}) })
        throw err
      }
    },
  }
  const walk = (step: () => unknown) => {
    try {
      step()
    } catch (err) {
      // a link loop, a file where a directory should be: the step says so, from the record
      if (isAccessError(err)) throw err
    }
  }
  for (const path of walks.lookups) walk(() => recording.lookup(path))
  for (const path of walks.ensure) walk(() => ensureDirs(recording, path, new Map(), (p) => ({ path: p, type: 'dir', mode: 0, uid: 0, gid: 0, mtime: 0 })))
  return [...answers]
}

/** The record as the tree: its answers, and none it was not asked. */
export class RecordedLookups implements PathLookups {
  readonly #answers: Map<string, Answer>

  constructor(record: LookupRecord) {
    this.#answers = new Map(record)
  }

  lookup(path: string, followLast = true): { path: string; stat: Stats } | undefined {
    const key = keyOf(path, followLast)
    if (!this.#answers.has(key)) throw new MiniRunError(`${path} was not looked up in the image before the step`)
    const a = this.#answers.get(key)!
    if (a === null) return undefined
    if ('error' in a) throw new MiniRunError(a.error, a.code !== undefined ? { code: a.code } : {})
    const is = (kind: string) => () => a.kind === kind
    const stat = { mode: a.mode, uid: a.uid, gid: a.gid, mtimeMs: a.mtimeMs, isDirectory: is('dir'), isFile: is('file'), isSymbolicLink: is('symlink') } as unknown as Stats
    return { path: a.path, stat }
  }
}

/** The helper's side: the walks on the layers, which the namespace's root reads whole. */
export function lookupsInUserNamespace(layers: readonly string[], walks: Walks): LookupRecord {
  return recordLookups(new MergedTree(layers, undefined, { strict: true }), walks)
}

/** The walks' answers: read on the host, or, where a directory there is not the user's to search, in the user's namespace. */
export async function destinationLookups(tree: MergedTree, walks: Walks, signal?: AbortSignal): Promise<PathLookups> {
  try {
    return new RecordedLookups(recordLookups(tree.strict(), walks))
  } catch (err) {
    const ids = isAccessError(err) && !isRoot() ? ownSubordinateIds() : undefined
    if (!ids && isAccessError(err)) throw new MiniRunError(`${(err as Error).message}: a directory on the way is not this user's to search, and there are no subordinate ids to read it with`, { code: 'EACCES', cause: err })
    if (!ids) throw err
    const record = await runHelper(ids, { op: 'dest-lookups', layers: [...tree.layers], walks }, 'read the image where the step writes', signal)
    return new RecordedLookups(record as LookupRecord)
  }
}
