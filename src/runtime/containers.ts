/**
 * Containers as the state directory knows them, with their true status.
 *
 * The state file says what mini-run did; the kernel says what is true now.
 * A container whose monitor was killed with `kill -9` still runs (its cgroup
 * is populated, its pid alive with the same start time), and one whose
 * process is gone is exited whatever the file says.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { isPopulated } from './cgroup.js'
import { oomKilled } from './cgroup-limits.js'
import { getLogger } from '../log.js'
import { processStartTime } from '../process-start-time.js'
import { checkStateRoot, CONTAINER_ID, readState, stateDir, type ContainerState } from './state.js'

export type Status = 'created' | 'running' | 'exited'

export interface ContainerInfo extends ContainerState {
  /** What is true now (see the top of this file). */
  status: Status
  exitCode?: number
  finishedAt?: string
  oomKilled: boolean
}

/** What the monitor writes when the container exits (native/monitor.c). */
interface ExitRecord {
  exitCode: number
  signal: number | null
  finishedAt: string
}

export function exitFile(stateRoot: string, id: string): string {
  return join(stateDir(stateRoot, id), 'exit.json')
}

export function logFile(stateRoot: string, id: string): string {
  return join(stateDir(stateRoot, id), 'container.log')
}

export { processStartTime }

export function isAlive(state: Pick<ContainerState, 'pid' | 'pidStartTime' | 'cgroup'>): boolean {
  if (state.cgroup && existsSync(state.cgroup)) return isPopulated(state.cgroup)
  if (!state.pid) return false
  return state.pidStartTime !== undefined && processStartTime(state.pid) === state.pidStartTime
}

export function inspectState(stateRoot: string, state: ContainerState): ContainerInfo {
  let exit: ExitRecord | undefined
  try {
    exit = JSON.parse(readFileSync(exitFile(stateRoot, state.id), 'utf8')) as ExitRecord
  } catch {
    // still running, or its monitor died before it could write
  }
  const oom = state.oomKilled ?? (state.cgroup ? oomKilled(state.cgroup) : false)
  if (state.status !== 'created' && isAlive(state)) return { ...state, status: 'running', oomKilled: oom }
  if (state.status === 'created' && !state.pid) return { ...state, status: 'created', oomKilled: false }
  const exitCode = exit?.exitCode ?? state.exitCode
  const finishedAt = exit?.finishedAt ?? state.finishedAt
  return {
    ...state,
    status: 'exited',
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    oomKilled: oom,
  }
}

export function listContainers(stateRoot: string): ContainerInfo[] {
  if (!checkStateRoot(stateRoot)) return []
  const infos: ContainerInfo[] = []
  for (const id of readdirSync(stateRoot)) {
    if (!CONTAINER_ID.test(id)) continue
    try {
      infos.push(inspectState(stateRoot, readState(stateRoot, id)))
    } catch (err) {
      // being created or removed right now, or not a state we can trust
      getLogger().debug({ err, id }, 'skipping container state')
    }
  }
  return infos.sort((a, b) => b.created.localeCompare(a.created))
}

/** Docker's resolution: full id, name, then a unique id prefix. */
export function findContainer(stateRoot: string, ref: string): ContainerInfo {
  const all = listContainers(stateRoot)
  const exact = all.find((c) => c.id === ref || c.name === ref || c.name === ref.replace(/^\//, ''))
  if (exact) return exact
  const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.id.startsWith(ref)) : []
  if (byPrefix.length === 1) return byPrefix[0]!
  if (byPrefix.length > 1) throw new MiniRunError(`multiple containers found with prefix ${ref}: be more precise`, { code: 'EAMBIGUOUS' })
  throw new MiniRunError(`no such container: ${ref}`, { code: 'ENOCONTAINER' })
}

/**
 * The monitor still runs (not a zombie, not another process on a reused
 * pid). With `exitCommand`, the command it execs into at the end (`run -d
 * --rm`'s rm) counts too: same pid, another name.
 */
export function monitorAlive(pid: number, options: { exitCommand?: boolean } = {}): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = stat.lastIndexOf(')')
    return (options.exitCommand === true || stat.includes('(mini-run-moni')) && stat[close + 2] !== 'Z'
  } catch {
    return false
  }
}

/** run -d --rm, and its monitor (or the rm it becomes) is there to remove it. */
export function removesItself(c: ContainerState): boolean {
  return c.autoRemove === true && c.monitorPid !== undefined && monitorAlive(c.monitorPid, { exitCommand: true })
}

/**
 * Chain ids that containers in the state root use, so that neither rmi nor
 * prune deletes a layer under a container. A state records its image's
 * layers; an older one only the image, whose layers are those it resolves
 * to now.
 */
export async function layersInUse(stateRoot: string, resolve: (ref: string) => Promise<{ chainIds: string[] }>): Promise<Set<string>> {
  const inUse = new Set<string>()
  for (const c of listContainers(stateRoot)) {
    if (Array.isArray(c.chainIds)) for (const id of c.chainIds) inUse.add(id)
    else if (c.image) for (const id of (await resolve(c.image).catch(() => undefined))?.chainIds ?? []) inUse.add(id)
  }
  return inUse
}
