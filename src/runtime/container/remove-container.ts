/**
 * `rm`: a container's writable layer, cgroup leaf, state and volume claims
 * go (with -v its anonymous volumes too); with -f a
 * running one is killed first (every process of its cgroup, and only once
 * none is left is the leaf removed). Works from a stale state too: a
 * monitor killed with `kill -9` leaves a running container and no exit
 * record, and rm -f still removes everything.
 */
import { containerEvent } from '../../events/container-events.js'
import { removeOwnTree } from '../../rootless/remove-tree.js'
import { dirname } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { destroyLeaf } from '../cgroup/cgroup.js'
import { crashPoint } from '../../crash-point.js'
import { destroyV1Leaves } from './container-cgroups.js'
import { currentInfo, inspectState, isAlive, waitExitCommand, type ContainerInfo } from './containers.js'
import { lockContainer, readState, removeState, tryLockContainer } from './state.js'
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
  /**
   * Remove it only if no other process holds its lock (and return false
   * otherwise): the monitor's exit command, which an `rm -f` holding the lock
   * waits for, must not wait for that rm in turn.
   */
  ifUnlocked?: boolean
}

export async function removeContainer(stateRoot: string, found: ContainerInfo, force: boolean, options: RemoveOptions = {}): Promise<boolean> {
  // a second rm of it waits here, then finds it gone
  const lock = options.ifUnlocked ? tryLockContainer(stateRoot, found.id) : await lockContainer(stateRoot, found.id)
  if (!lock && options.ifUnlocked) return false
  if (!lock) throw gone(found)
  try {
    let c: ContainerInfo
    try {
      c = inspectState(stateRoot, readState(stateRoot, found.id))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw gone(found)
      throw err
    }
    await removeLocked(stateRoot, c, force, options)
    return true
  } finally {
    lock.release()
  }
}

function gone(c: ContainerInfo): MiniRunError {
  return new MiniRunError(`no such container: ${c.id.slice(0, 12)} (it was removed meanwhile)`, { code: 'ENOCONTAINER' })
}

/**
 * In the reverse order of a start, the state last: a kill at any point
 * leaves a state that a second rm finds and finishes.
 */
async function removeLocked(stateRoot: string, c: ContainerInfo, force: boolean, options: RemoveOptions): Promise<void> {
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
    containerEvent(stateRoot, 'kill', c, { signal: '9' })
    const end = Date.now() + 10_000
    while (isAlive(c) && Date.now() < end) await sleep(20)
  }
  crashPoint('rm:after-kill')
  // the monitor writes the exit record into the state dir, then becomes its
  // exit command (internal cleanup), which tears the network down, writes
  // the state once more, and with --restart may start it again (it was told
  // not to, above): let it finish first (unless this is it)
  await waitExitCommand(c)
  // a restart that was already starting it when the mark came has a new process
  // and monitor by now (start-existing.ts keeps the mark, restart-container.ts
  // stops it): that one is waited for, or stopped, too, and is what goes below
  for (let i = 0, now = currentInfo(stateRoot, c.id); i < 5 && now && now.monitorPid !== c.monitorPid; i++, now = currentInfo(stateRoot, c.id)) {
    c = now
    // marked again: whatever wrote its state since (a restart's own update) must
    // not let the new monitor's exit command start it once more
    if (force) markStoppedByUser(stateRoot, c)
    if (c.status === 'running') {
      // without -f a container its policy started again is not removed, as one found running
      if (!force) throw new MiniRunError(`cannot remove running container ${c.id.slice(0, 12)}: stop it first, or use rm -f`, { code: 'ERUNNING' })
      killAll(c)
      const end = Date.now() + 10_000
      while (isAlive(c) && Date.now() < end) await sleep(20)
    }
    await waitExitCommand(c)
  }
  if (c.cgroup && c.cgroupMount) await destroyLeaf({ path: c.cgroup, parent: dirname(c.cgroup) }, c.cgroupMount)
  await destroyV1Leaves(c)
  // after the monitor's own cleanup, which may be tearing it down right now
  detachNetwork(stateRoot, c.id, c.network)
  if (c.containerDir) removeOwnTree(c.containerDir)
  if (c.healthcheck) stopHealthRunner(stateRoot, c.id)
  crashPoint('rm:before-state')
  // a --rm container's anonymous volumes go with it however it goes, rm -f too (Docker's docs on --rm)
  if (options.storeRoot) releaseContainerVolumes(options.storeRoot, c.id, c.volumes, options.volumes === true || c.autoRemove === true, stateRoot)
  removeState(stateRoot, c)
  containerEvent(stateRoot, 'destroy', c)
}
