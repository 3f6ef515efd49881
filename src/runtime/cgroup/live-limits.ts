/**
 * New limits for a cgroup whose processes already run: `update` of a
 * Docker-style container and `oci update` (runc update). The files are the
 * ones a start would write (cgroup-placement.ts); what a start does before
 * the clone is done here for processes that exist: a controller that has no
 * v1 leaf yet gets one, and every process moves into it (v1 has no
 * CLONE_INTO_CGROUP; a process in no leaf of a hierarchy is in its
 * parent's); a v2 controller not delegated to the leaf yet is enabled from
 * the root down to its parent, as the start's cgroup_enable steps do.
 *
 * All or nothing, as far as the kernel lets it be: each file's value is read
 * before it is written, and when the kernel refuses one (a memory limit
 * below what the cgroup uses is EBUSY on v1, a pids.max above PID_MAX_LIMIT
 * EINVAL) the files already written get their values back, newest first. A
 * v1 leaf made here stays (its processes are in it): the error carries it
 * for the caller to record, so that a removal still finds it; it holds no
 * limit of its own then, as a new cgroup does not.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { delegationChain, enableControllers, type SpecResources } from './cgroup-limits.js'
import { placedLimitFiles } from './cgroup-placement.js'
import { createV1Leaf, type V1Leaf } from './cgroup-v1.js'

export interface LiveCgroups {
  /** The v2 leaf, and the hierarchy's mount (for the delegation chain). */
  v2Leaf?: string
  v2Mount?: string
  /** The v1 leaves it has now. */
  v1: readonly V1Leaf[]
  /** The v1 leaves the new limits need (v1LeavesFor): those it lacks are made. */
  needed: readonly V1Leaf[]
  /** The container's processes, for a new v1 leaf. */
  pids: () => number[]
}

/** A write the kernel refused, the others undone; `leaves`: the v1 leaves the cgroup has now, those made here included. */
export class LiveLimitsError extends MiniRunError {
  override name = 'LiveLimitsError'
  constructor(message: string, readonly leaves: V1Leaf[], options: { cause: unknown }) {
    super(message, { code: 'ECGROUPWRITE', ...options })
  }
}

interface Written {
  path: string
  value: string
  /** What the file held before: written back if a later file fails. */
  old: string
}

/** Write the limits into the running cgroups; the v1 leaves it has afterwards. Throws LiveLimitsError, with nothing changed but the leaves. */
export function writeLiveLimits(r: SpecResources, cg: LiveCgroups): V1Leaf[] {
  const leaves = [...cg.v1]
  const written: Written[] = []
  try {
    for (const leaf of cg.needed) {
      if (leaves.some((l) => l.controller === leaf.controller)) continue
      createV1Leaf(leaf.path, leaf.controller)
      leaves.push(leaf)
      for (const pid of cg.pids()) writeKeepingOld(join(leaf.path, 'cgroup.procs'), String(pid), undefined)
    }
    const files = placedLimitFiles(r, cg.v2Leaf, leaves)
    const v2Leaf = cg.v2Leaf
    if (v2Leaf && cg.v2Mount) {
      const controllers = [...new Set(files.filter((f) => f.path.startsWith(`${v2Leaf}/`) && f.controller !== 'cgroup').map((f) => f.controller))]
      if (controllers.length) for (const dir of delegationChain(cg.v2Mount, v2Leaf)) enableControllers(dir, controllers)
    }
    writeAll(files, written)
  } catch (err) {
    const undone = restore(written)
    const cause = (err as { cause?: unknown }).cause ?? err
    throw new LiveLimitsError(`${(err as Error).message}${undone}`, leaves, { cause })
  }
  return leaves
}

/**
 * Write each file; v1's memory and memory+swap limits refuse (EINVAL) a
 * value on the wrong side of the other until the other is written: such a
 * write is tried again once all the rest are.
 */
function writeAll(files: readonly { path: string; value: string }[], written: Written[]): void {
  const later: { path: string; value: string }[] = []
  for (const f of files) {
    try {
      writeKeepingOld(f.path, f.value, written)
    } catch (err) {
      if ((err as { cause?: NodeJS.ErrnoException }).cause?.code !== 'EINVAL') throw err
      later.push(f)
    }
  }
  for (const f of later) writeKeepingOld(f.path, f.value, written)
}

/** Write value to path, noting what it held (for restore); a process that exited since it was listed has nothing to move (ESRCH). */
function writeKeepingOld(path: string, value: string, written: Written[] | undefined): void {
  let old: string | undefined
  if (written) {
    try {
      old = readFileSync(path, 'utf8').trim()
    } catch {
      // a file that cannot be read is not restored; its write below says why
    }
  }
  try {
    writeFileSync(path, value)
  } catch (err) {
    if (!written && (err as NodeJS.ErrnoException).code === 'ESRCH') return
    throw new MiniRunError(`write ${value} to ${path}: ${errnoText(err)}`, { cause: err })
  }
  if (written && old !== undefined) written.push({ path, value, old })
}

/** The files written, back to what they held, newest first (the same EINVAL retry for v1's memory pair); a note of any that could not be. */
function restore(written: readonly Written[]): string {
  const pending = [...written].reverse()
  const failed: string[] = []
  for (let round = 0; round < 2 && pending.length; round++) {
    for (const w of pending.splice(0)) {
      try {
        writeFileSync(w.path, w.old)
      } catch (err) {
        if (round === 0 && (err as NodeJS.ErrnoException).code === 'EINVAL') pending.push(w)
        else failed.push(`${w.path} (${errnoText(err)})`)
      }
    }
  }
  return failed.length ? `; left as written, the old value refused: ${failed.join(', ')}` : ''
}

/** "Invalid argument" from "EINVAL: invalid argument, write": the kernel's word, once. */
function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  const text = e.message.replace(/^E[A-Z]+: /, '').replace(/, \w+( '[^']*')?$/, '')
  return e.code ? `${text} (${e.code})` : text
}
