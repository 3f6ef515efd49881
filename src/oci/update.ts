/**
 * `update`: new limits for a container that runs (runc update). The files
 * go where create would have put them (cgroup-placement.ts); a controller
 * the container had no v1 leaf for yet gets one now, and every process of
 * the container is moved into it. The record keeps the merged resources.
 */
import { MiniRunError } from '../errors.js'
import type { SpecResources } from '../runtime/cgroup/cgroup-limits.js'
import { readCgroupHost, v1LeavesFor } from '../runtime/cgroup/cgroup-placement.js'
import { cgroupPathIn, type V1Leaf } from '../runtime/cgroup/cgroup-v1.js'
import { LiveLimitsError, writeLiveLimits } from '../runtime/cgroup/live-limits.js'
import { containerPids } from './container-procs.js'
import { readRecord, statusOf, writeRecord } from './oci-state.js'

export function updateContainer(root: string, id: string, r: SpecResources): void {
  const rec = readRecord(root, id)
  const status = statusOf(root, rec)
  if (status === 'stopped' || status === 'creating') throw new MiniRunError('container not running', { code: 'ENOTRUNNING' })
  if (r.devices?.length) throw new MiniRunError('update of the device rules is not supported: they are fixed at create', { code: 'EUSAGE' })
  const needed = v1LeavesFor(r, readCgroupHost(), (mount, own) => cgroupPathIn(mount, own, rec.cgroupsPath), (c) => `--resources (${c})`)
  let leaves: V1Leaf[]
  try {
    leaves = writeLiveLimits(r, { v2Leaf: rec.cgroup?.path, v1: rec.cgroupV1 ?? [], needed, pids: () => containerPids(rec) })
  } catch (err) {
    // the limits are as they were; a v1 leaf made on the way is recorded, for delete to find
    if (err instanceof LiveLimitsError && err.leaves.length) writeRecord(root, { ...rec, cgroupV1: err.leaves })
    throw err
  }
  if (leaves.length) rec.cgroupV1 = leaves
  rec.spec = { ...rec.spec, linux: { ...rec.spec.linux, resources: mergeResources(rec.spec.linux.resources ?? {}, r) } }
  writeRecord(root, rec)
}

function mergeResources(a: SpecResources, b: SpecResources): SpecResources {
  const out: SpecResources = { ...a }
  for (const key of Object.keys(b) as (keyof SpecResources)[]) {
    const value = b[key]
    if (value === undefined) continue
    const old = a[key]
    ;(out as Record<string, unknown>)[key] = old && typeof old === 'object' && !Array.isArray(old) && typeof value === 'object' && !Array.isArray(value) ? { ...old, ...value } : value
  }
  return out
}
