/**
 * `pause` and `unpause`: the cgroup v2 freezer. Writing 1 to the leaf's
 * cgroup.freeze stops every process in it (and in any cgroup below), as
 * SIGSTOP would but without the processes or their parent seeing it;
 * cgroup.events says "frozen 1" once all of them are stopped
 * (Documentation/admin-guide/cgroup-v2.rst, "Core Interface Files"). It is
 * part of the v2 core, not a controller: a hybrid host whose v2 tree has no
 * controllers has it too.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MiniRunError } from '../../errors.js'
import { containerEvent } from '../../events/container-events.js'
import { updateHealth } from '../health/health-state.js'
import type { ContainerInfo } from './containers.js'

const FREEZE_WAIT_MS = 5000

function frozen(cgroup: string): boolean {
  return /^frozen 1$/m.test(readFileSync(join(cgroup, 'cgroup.events'), 'utf8'))
}

function leafOf(c: ContainerInfo): string {
  if (c.status !== 'running') throw new MiniRunError(`Container ${c.id.slice(0, 12)} is not running`, { code: 'ENOTRUNNING' })
  if (!c.cgroup) {
    throw new MiniRunError(`container ${c.id.slice(0, 12)} has no cgroup of its own to freeze (rootless, or --cgroup-parent "")`, { code: 'ENOCGROUP' })
  }
  return c.cgroup
}

async function setFrozen(cgroup: string, on: boolean): Promise<void> {
  try {
    writeFileSync(join(cgroup, 'cgroup.freeze'), on ? '1' : '0')
  } catch (err) {
    throw new MiniRunError(`write ${on ? 1 : 0} to ${join(cgroup, 'cgroup.freeze')}: ${(err as Error).message} (the cgroup v2 freezer needs Linux 5.2)`, { cause: err })
  }
  // freezing is asynchronous: a task in the middle of a system call stops when it leaves it
  const end = Date.now() + FREEZE_WAIT_MS
  while (frozen(cgroup) !== on) {
    if (Date.now() > end) throw new MiniRunError(`cgroup ${cgroup} did not ${on ? 'freeze' : 'thaw'} within ${FREEZE_WAIT_MS / 1000}s`)
    await sleep(5)
  }
}

/**
 * Freeze it. A container with a health check is "unhealthy" from now until
 * the first check after its unpause, as Docker closes a paused container's
 * health monitor (daemon/container/health.go CloseMonitorChannel); its
 * runner checks nothing while it is frozen (health-runner.ts).
 */
export async function pauseContainer(c: ContainerInfo, stateRoot?: string): Promise<void> {
  const leaf = leafOf(c)
  if (c.paused) throw new MiniRunError(`Container ${c.id.slice(0, 12)} is already paused`, { code: 'EPAUSED' })
  await setFrozen(leaf, true)
  if (stateRoot !== undefined) containerEvent(stateRoot, 'pause', c)
  if (stateRoot !== undefined && c.healthcheck) updateHealth(stateRoot, c.id, (h) => ({ ...h, Status: 'unhealthy' }))
}

export async function unpauseContainer(c: ContainerInfo, stateRoot?: string): Promise<void> {
  const leaf = leafOf(c)
  if (!c.paused) throw new MiniRunError(`Container ${c.id.slice(0, 12)} is not paused`, { code: 'ENOTPAUSED' })
  await setFrozen(leaf, false)
  if (stateRoot !== undefined) containerEvent(stateRoot, 'unpause', c)
}
