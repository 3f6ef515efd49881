/**
 * Removing a container that nobody else will: a --rm container or a failed
 * start whose runtime (or monitor) was killed, found by the next command
 * that looks (containers.ts settleContainer). Its processes are gone
 * already, so nothing here waits: what it made goes in the reverse order of
 * its making, the state last, so that a kill in the middle leaves a state
 * the next look finds again.
 */
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { getLogger } from '../../log.js'
import { removeEmptyLeaf } from '../cgroup/cgroup.js'
import { releaseContainerVolumes } from './container-volumes.js'
import { removeState, type ContainerState } from './state.js'

/** Remove it all; false if processes are still in its cgroup (killed now, removed at a later look). */
export function removeLeftover(stateRoot: string, c: ContainerState): boolean {
  if (c.cgroup && c.cgroupMount && !removeEmptyLeaf({ path: c.cgroup, parent: dirname(c.cgroup) }, c.cgroupMount)) return false
  if (c.containerDir) {
    rmSync(c.containerDir, { recursive: true, force: true })
    // <store>/containers/<id>: the store holds its volumes' claims
    try {
      releaseContainerVolumes(dirname(dirname(c.containerDir)), c.id, c.volumes, true)
    } catch (err) {
      getLogger().debug({ err, id: c.id }, 'cannot release the volumes of a container left behind')
    }
  }
  removeState(stateRoot, c)
  return true
}
