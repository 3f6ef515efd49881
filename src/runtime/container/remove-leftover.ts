/**
 * Removing a container that nobody else will: a --rm container or a failed
 * start whose runtime (or monitor) was killed, found by the next command
 * that looks (containers.ts settleContainer). Its processes are gone
 * already, so nothing here waits: what it made goes in the reverse order of
 * its making, the state last, so that a kill in the middle leaves a state
 * the next look finds again.
 */
import { rmdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { getLogger } from '../../log.js'
import { detachNetwork } from '../../network/index.js'
import { removeOwnTree } from '../../rootless/remove-tree.js'
import { removeEmptyLeaf } from '../cgroup/cgroup.js'
import { stopHealthRunner } from '../health/runner-process.js'
import { releaseContainerVolumes } from './container-volumes.js'
import { removeState, type ContainerState } from './state.js'

/** Its cgroup v1 leaves (a hybrid host), if empty, and the shared parents they leave empty; false if one is busy. */
function removeEmptyV1Leaves(c: ContainerState): boolean {
  for (const leaf of c.cgroupV1 ?? []) {
    try {
      rmdirSync(leaf.path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false
    }
    for (let dir = dirname(leaf.path); leaf.base && dir.startsWith(leaf.base + '/'); dir = dirname(dir)) {
      try {
        rmdirSync(dir)
      } catch {
        break // another container's, or gone
      }
    }
  }
  return true
}

/** Remove it all; false if processes are still in its cgroup (killed now, removed at a later look). */
export function removeLeftover(stateRoot: string, c: ContainerState): boolean {
  if (c.cgroup && c.cgroupMount && !removeEmptyLeaf({ path: c.cgroup, parent: dirname(c.cgroup) }, c.cgroupMount)) return false
  if (!removeEmptyV1Leaves(c)) return false
  // its address, ports and rules, and the pinned namespace that keeps them
  detachNetwork(stateRoot, c.id, c.network)
  if (c.healthcheck) stopHealthRunner(stateRoot, c.id)
  if (c.containerDir) {
    removeOwnTree(c.containerDir)
    // <store>/containers/<id>: the store holds its volumes' claims
    try {
      releaseContainerVolumes(dirname(dirname(c.containerDir)), c.id, c.volumes, true, stateRoot)
    } catch (err) {
      getLogger().debug({ err, id: c.id }, 'cannot release the volumes of a container left behind')
    }
  }
  removeState(stateRoot, c)
  return true
}
