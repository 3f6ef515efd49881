/**
 * `rm`: a container's writable layer, cgroup leaf, state and volume claims
 * go (with -v its anonymous volumes too); with -f a
 * running one is killed first (every process of its cgroup, and only once
 * none is left is the leaf removed). Works from a stale state too: a
 * monitor killed with `kill -9` leaves a running container and no exit
 * record, and rm -f still removes everything.
 */
import { removeOwnTree } from '../../rootless/remove-tree.js'
import { dirname } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { destroyLeaf } from '../cgroup/cgroup.js'
import { destroyV1Leaves } from './container-cgroups.js'
import { isAlive, waitExitCommand, type ContainerInfo } from './containers.js'
import { removeState } from './state.js'
import { releaseContainerVolumes } from './container-volumes.js'
import { detachNetwork } from '../../network/index.js'
import { killAll, markStoppedByUser } from './stop-container.js'
import { stopHealthRunner } from '../health/runner-process.js'
import { setTimeout as sleep } from 'node:timers/promises'

export interface RemoveOptions {
  /** The image store holding its volumes: their claims are dropped. */
  storeRoot?: string
  /** rm -v: remove its anonymous volumes too (those no other container uses). */
  volumes?: boolean
}

export async function removeContainer(stateRoot: string, c: ContainerInfo, force: boolean, options: RemoveOptions = {}): Promise<void> {
  // rm -f of a container with --restart, running or waiting to restart: its exit command must not start it again
  if (force) markStoppedByUser(stateRoot, c)
  if (c.status === 'running') {
    if (!force) {
      throw new MiniRunError(
        `cannot remove running container ${c.id.slice(0, 12)}: stop it first, or use rm -f`,
        { code: 'ERUNNING' },
      )
    }
    killAll(c)
    const end = Date.now() + 10_000
    while (isAlive(c) && Date.now() < end) await sleep(20)
  }
  // the monitor writes the exit record into the state dir, then becomes its
  // exit command (internal cleanup), which tears the network down, writes
  // the state once more, and with --restart may start it again (it was told
  // not to, above): let it finish first (unless this is it)
  await waitExitCommand(c)
  if (c.cgroup && c.cgroupMount) await destroyLeaf({ path: c.cgroup, parent: dirname(c.cgroup) }, c.cgroupMount)
  await destroyV1Leaves(c)
  // after the monitor's own cleanup, which may be tearing it down right now
  detachNetwork(stateRoot, c.id, c.network)
  if (c.containerDir) removeOwnTree(c.containerDir)
  if (c.healthcheck) stopHealthRunner(stateRoot, c.id)
  removeState(stateRoot, c)
  if (options.storeRoot) releaseContainerVolumes(options.storeRoot, c.id, c.volumes, options.volumes === true)
}
