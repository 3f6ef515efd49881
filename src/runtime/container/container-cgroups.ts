/**
 * A container's cgroups as its state records them: the v2 leaf and, on a
 * hybrid host, its v1 leaves (cgroup/cgroup-v1.ts). What stop, rm and
 * inspect ask of them.
 */
import { oomKilled } from '../cgroup/cgroup-limits.js'
import { destroyV1Leaf, oomKilledV1, type V1Leaf } from '../cgroup/cgroup-v1.js'

interface Recorded {
  cgroup?: string
  cgroupV1?: V1Leaf[]
}

/** The OOM killer ran in the container's memory cgroup, v2 or v1. */
export function containerOomKilled(c: Recorded): boolean {
  const memoryV1 = c.cgroupV1?.find((l) => l.controller === 'memory')
  return (c.cgroup ? oomKilled(c.cgroup) : false) || (memoryV1 ? oomKilledV1(memoryV1.path) : false)
}

/** Remove the v1 leaves (after the v2 leaf, whose cgroup.kill ended every process). */
export async function destroyV1Leaves(c: Recorded): Promise<void> {
  for (const leaf of c.cgroupV1 ?? []) await destroyV1Leaf(leaf.path, leaf.base)
}
