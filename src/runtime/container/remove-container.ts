/**
 * `rm`: a container's writable layer, cgroup leaf, state and volume claims
 * go (with -v its anonymous volumes too); with -f a
 * running one is killed first (every process of its cgroup, and only once
 * none is left is the leaf removed). Works from a stale state too: a
 * monitor killed with `kill -9` leaves a running container and no exit
 * record, and rm -f still removes everything.
 */
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { destroyLeaf } from '../cgroup/cgroup.js'
import { crashPoint } from '../../crash-point.js'
import { inspectState, isAlive, monitorAlive, type ContainerInfo } from './containers.js'
import { lockContainer, readState, removeState } from './state.js'
import { releaseContainerVolumes } from './container-volumes.js'
import { killAll } from './stop-container.js'
import { setTimeout as sleep } from 'node:timers/promises'

export interface RemoveOptions {
  /** The image store holding its volumes: their claims are dropped. */
  storeRoot?: string
  /** rm -v: remove its anonymous volumes too (those no other container uses). */
  volumes?: boolean
}

export async function removeContainer(stateRoot: string, found: ContainerInfo, force: boolean, options: RemoveOptions = {}): Promise<void> {
  // a second rm of it waits here, then finds it gone
  const lock = await lockContainer(stateRoot, found.id)
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
  crashPoint('rm:after-kill')
  if (c.cgroup && c.cgroupMount) await destroyLeaf({ path: c.cgroup, parent: dirname(c.cgroup) }, c.cgroupMount)
  // the monitor writes the exit record into the state dir: let it finish first
  const recorded = Date.now() + 2000
  while (monitorAlive(c) && Date.now() < recorded) await sleep(10)
  if (c.containerDir) rmSync(c.containerDir, { recursive: true, force: true })
  crashPoint('rm:before-state')
  if (options.storeRoot) releaseContainerVolumes(options.storeRoot, c.id, c.volumes, options.volumes === true)
  removeState(stateRoot, c)
}
