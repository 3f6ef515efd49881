/**
 * Who uses a volume: one claim a container, <volume>/users/<id>, written
 * when the container is started and removed with it (volume-store.ts's
 * header says when a claim counts). Read and pruned of stale claims under
 * the volumes lock, which the caller holds.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { getLogger } from '../../log.js'
import { isRecordedProcess, processStartTime, readProcStat } from '../../proc-stat.js'
import { textOrder } from '../../text-order.js'
import { CONTAINER_ID, readState } from './state.js'

export interface Claim {
  id: string
  stateRoot: string
  /** "<pid>.<start time>" of the process that prepared the container. */
  owner: string
}

export function ownerTag(): string {
  return `${process.pid}.${processStartTime(process.pid) ?? '0'}`
}

function ownerAlive(owner: string): boolean {
  const [pid, start] = owner.split('.')
  return processStartTime(Number(pid)) === start
}

export interface User {
  id: string
  /** Its process runs (or it is being started): a copy into the volume could race with it. */
  live: boolean
}

/** The containers using volume `name`, under the lock; stale claims are removed. */
export function usersLocked(dir: string, name: string): User[] {
  const usersDir = join(dir, name, 'users')
  let ids: string[] = []
  try {
    ids = readdirSync(usersDir)
  } catch {
    return []
  }
  const users: User[] = []
  for (const id of ids) {
    let claim: Claim | undefined
    try {
      claim = JSON.parse(readFileSync(join(usersDir, id), 'utf8')) as Claim
    } catch {
      claim = undefined
    }
    if (claim && CONTAINER_ID.test(id) && claim.id === id && typeof claim.stateRoot === 'string') {
      if (existsSync(join(claim.stateRoot, id, 'state.json'))) {
        users.push({ id, live: isRunning(claim.stateRoot, id) })
        continue
      }
      if (typeof claim.owner === 'string' && ownerAlive(claim.owner)) {
        users.push({ id, live: true })
        continue
      }
    }
    getLogger().debug({ volume: name, id }, 'removing a stale volume claim')
    rmSync(join(usersDir, id), { force: true })
  }
  return users.sort((a, b) => textOrder(a.id, b.id))
}

/** Not exited: created and not yet run, or its own process still runs (as containers.ts's inspectState sees it). */
function isRunning(stateRoot: string, id: string): boolean {
  try {
    const state = readState(stateRoot, id)
    if (state.status === 'created' && state.pid === undefined) return true
    return state.pid !== undefined && isRecordedProcess(readProcStat(state.pid), state.pidStartTime)
  } catch {
    return true // being written or removed: assume the worst
  }
}
