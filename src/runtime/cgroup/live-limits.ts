/**
 * New limits for a cgroup whose processes already run: `update` of a
 * Docker-style container and `oci update` (runc update). The files are the
 * ones a start would write (cgroup-placement.ts); what a start does before
 * the clone is done here for processes that exist: a controller that has no
 * v1 leaf yet gets one, and every process moves into it (v1 has no
 * CLONE_INTO_CGROUP; a process in no leaf of a hierarchy is in its
 * parent's); a v2 controller not delegated to the leaf yet is enabled from
 * the root down to its parent, as the start's cgroup_enable steps do.
 */
import { writeFileSync } from 'node:fs'
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

/** Write the limits into the running cgroups; the v1 leaves it has afterwards. */
export function writeLiveLimits(r: SpecResources, cg: LiveCgroups): V1Leaf[] {
  const leaves = [...cg.v1]
  for (const leaf of cg.needed) {
    if (leaves.some((l) => l.controller === leaf.controller)) continue
    createV1Leaf(leaf.path, leaf.controller)
    for (const pid of cg.pids()) {
      try {
        writeFileSync(join(leaf.path, 'cgroup.procs'), String(pid))
      } catch (err) {
        // a process that exited since it was listed has nothing to move
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
      }
    }
    leaves.push(leaf)
  }
  const files = placedLimitFiles(r, cg.v2Leaf, leaves)
  const v2Leaf = cg.v2Leaf
  if (v2Leaf && cg.v2Mount) {
    const controllers = [...new Set(files.filter((f) => f.path.startsWith(`${v2Leaf}/`) && f.controller !== 'cgroup').map((f) => f.controller))]
    if (controllers.length) for (const dir of delegationChain(cg.v2Mount, v2Leaf)) enableControllers(dir, controllers)
  }
  const failed: typeof files = []
  for (const f of files) {
    try {
      writeFileSync(f.path, f.value)
    } catch (err) {
      // v1: memory+swap below the memory limit (or the reverse) is EINVAL
      // until the other is written; try again once all are
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw writeError(f, err)
      failed.push(f)
    }
  }
  for (const f of failed) {
    try {
      writeFileSync(f.path, f.value)
    } catch (err) {
      throw writeError(f, err)
    }
  }
  return leaves
}

function writeError(f: { path: string; value: string }, err: unknown): MiniRunError {
  return new MiniRunError(`write ${f.value} to ${f.path}: ${(err as Error).message}`, { cause: err })
}
