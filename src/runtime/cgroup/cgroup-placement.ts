/**
 * Which hierarchy enforces each limit of a container: cgroup v2 where its
 * controller is there, else the v1 hierarchy the host bound it to
 * (cgroup-v1.ts says why both), else the start is refused, naming the
 * controller. Reads the host once (readCgroupHost); the rest is pure.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { findCgroup2Mount } from './cgroup.js'
import { limitFiles, type LimitFile, type SpecResources } from './cgroup-limits.js'
import { findV1Hierarchies, limitFilesV1, ownCgroups, v1ControllerOf, type V1Hierarchy, type V1Leaf } from './cgroup-v1.js'

/** What the host offers: the v2 hierarchy and its controllers, the v1 hierarchies, the caller's own cgroups. */
export interface CgroupHost {
  v2Mount?: string
  v2Controllers: string[]
  v1: V1Hierarchy[]
  own: { v2: string; v1: Map<string, string> }
}

export function readCgroupHost(): CgroupHost {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')
  const v2Mount = findCgroup2Mount(mountinfo)
  let v2Controllers: string[] = []
  if (v2Mount) {
    try {
      v2Controllers = readFileSync(join(v2Mount, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean)
    } catch {
      // no controllers file: none
    }
  }
  return { v2Mount, v2Controllers, v1: findV1Hierarchies(mountinfo), own: ownCgroups() }
}

/** The controllers (v2 names) the limits need; "devices" for a device cgroup. */
export function controllersNeeded(r: SpecResources): string[] {
  // unified's cgroup.* files are the core's, no controller's
  const needed = new Set(limitFiles(r).map((f) => f.controller).filter((c) => c !== 'cgroup'))
  if (r.devices?.length) needed.add('devices')
  return [...needed]
}

/**
 * The v1 leaves a container needs: one per controller its limits need that
 * the v2 hierarchy lacks. `leafIn(mount, own)` names the leaf in a
 * hierarchy mounted at `mount` whose caller's cgroup is `own`. A device
 * cgroup without a v1 devices hierarchy is left to the caller (v2: a BPF
 * program). `what(controller)` names, in the refusal, what asked for it.
 */
export function v1LeavesFor(
  r: SpecResources,
  host: CgroupHost,
  leafIn: (mount: string, own: string) => string,
  what: (controller: string) => string,
  options: { removeParents?: boolean } = {},
): V1Leaf[] {
  const leaves: V1Leaf[] = []
  for (const controller of controllersNeeded(r)) {
    if (controller !== 'devices' && host.v2Controllers.includes(controller)) continue
    const v1 = v1ControllerOf(controller)
    const hierarchy = host.v1.find((h) => h.controllers.includes(v1))
    if (!hierarchy) {
      if (controller === 'devices') continue
      const where = host.v2Mount ? `the cgroup v2 hierarchy at ${host.v2Mount} does not offer it` : 'no cgroup v2 hierarchy is mounted'
      throw new MiniRunError(`${what(controller)} needs the "${controller}" cgroup controller: ${where}, nor does any cgroup v1 hierarchy`, { code: 'ENOCONTROLLER' })
    }
    const own = host.own.v1.get(v1) ?? '/'
    const path = leafIn(hierarchy.mount, own)
    // resolve, not join: the caller's cgroup "/" must give the mount point itself, without a trailing slash
    leaves.push({ controller: v1, path, ...(options.removeParents ? { base: resolve(hierarchy.mount, `.${own}`) } : {}) })
  }
  return leaves
}

/** Every limit file, with its full path: in the v1 leaf of its controller if there is one, else in the v2 leaf. */
export function placedLimitFiles(r: SpecResources, v2Leaf: string | undefined, v1: readonly V1Leaf[]): (LimitFile & { path: string })[] {
  const inV1 = new Map(v1.map((l) => [l.controller, l.path]))
  const placed: (LimitFile & { path: string })[] = []
  for (const f of limitFiles(r)) {
    if (inV1.has(v1ControllerOf(f.controller)) || !v2Leaf) continue
    placed.push({ ...f, path: join(v2Leaf, f.file) })
  }
  for (const f of limitFilesV1(r)) {
    const leaf = inV1.get(f.controller)
    if (leaf) placed.push({ ...f, path: join(leaf, f.file) })
  }
  return placed
}
