/**
 * Containers as the state directory knows them, with their true status.
 *
 * The state file says what mini-run did; the kernel says what is true now.
 * A container runs while its own process does: the pid recorded at its
 * start, still held by the process that started then (proc-stat.ts). A
 * container whose monitor was killed with `kill -9` still runs; one whose
 * process is gone has exited, whatever the file says, and whatever is left
 * in its cgroup (with --pid host, a PID 1 that exits leaves its orphans
 * there: `stop` and `rm` kill them through the cgroup).
 *
 * Its exit is recorded by whoever waits for it: its monitor (run -d), or
 * the foreground runtime. Both are named in the state (pid and start time),
 * so when one is killed the next command that looks can tell, and settles
 * the container as Docker's daemon does on its restart: an exit that nobody
 * recorded becomes "Exited (255)" at the time it was noticed, a --rm
 * container is removed, and a start its runtime never finished (the
 * container never ran) is removed like any failed start (start.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { containerOomKilled } from './container-cgroups.js'
import { getLogger } from '../../log.js'
import { isRecordedProcess, processStartTime, readProcStat, startedAfter } from '../../proc-stat.js'
import { removeLeftover } from './remove-leftover.js'
import { collectStateDir } from './state-collect.js'
import { checkStateRoot, collectEmptyNames, CONTAINER_ID, CONTAINER_NAME, readState, stateDir, stateWith as copyStateWith, tryLockContainer, updateState, type ContainerState } from './state.js'
import { readHealth, type HealthState } from '../health/health-state.js'
import { textOrder } from '../../text-order.js'
import { decideRestart } from './restart-policy.js'

export type Status = 'created' | 'running' | 'exited'

export interface ContainerInfo extends ContainerState {
  /** What is true now (see the top of this file). */
  status: Status
  exitCode?: number
  finishedAt?: string
  oomKilled: boolean
  /**
   * What the next command must do for it, its recorder being gone: record
   * an exit nobody recorded, or remove it (--rm, or a start never finished).
   */
  unsettled?: 'unknown-exit' | 'remove'
  /** Running, but frozen by `pause` (its cgroup's cgroup.freeze). */
  paused: boolean
  /** Exited, and its restart policy is about to start it again. */
  restarting: boolean
  /** Exited, and --rm: its runtime or monitor is removing it (Docker's "removing", "Removal In Progress"). */
  removing?: boolean
  /** A container with a health check: its results (health/health-state.ts). */
  health?: HealthState
}

/** Docker's exit code for a container whose end nobody saw (a daemon restarted, a reboot). */
export const UNKNOWN_EXIT_CODE = 255

/** What the monitor writes when the container exits (native/monitor.c). */
interface ExitRecord {
  exitCode: number
  signal: number | null
  finishedAt: string
}

export function exitFile(stateRoot: string, id: string): string {
  return join(stateDir(stateRoot, id), 'exit.json')
}

/** Where its monitor listens for `attach` (native/monitor-attach.h). */
export function attachSocket(stateRoot: string, id: string): string {
  return join(stateDir(stateRoot, id), 'attach')
}

export function logFile(stateRoot: string, id: string): string {
  return join(stateDir(stateRoot, id), 'container.log')
}

export { processStartTime }

/**
 * The container's own process still runs. Only a look: acting on it takes
 * a pidfd (container-process.ts).
 */
export function isAlive(state: Pick<ContainerState, 'pid' | 'pidStartTime'>): boolean {
  return state.pid !== undefined && isRecordedProcess(readProcStat(state.pid), state.pidStartTime)
}

/** The process recorded as the container's runtime still runs; undefined when none was recorded (an older state). */
function runtimeAlive(state: ContainerState): boolean | undefined {
  if (state.runtime === undefined) return undefined
  return isRecordedProcess(readProcStat(state.runtime.pid), state.runtime.startTime)
}

/** Someone is there to record the exit and do what --rm says: the monitor (or the rm it becomes), else the runtime. */
function recorderAlive(state: ContainerState): boolean {
  if (state.monitorPid !== undefined && monitorAlive(state, { exitCommand: true })) return true
  return runtimeAlive(state) !== false
}

/** The state itself, with fields set: a state read for the caller alone (inspectState's own). */
function ownStateWith<S extends ContainerState, T extends object>(state: S, fields: T): Omit<S, keyof T> & T {
  return Object.assign(state, fields) as unknown as Omit<S, keyof T> & T
}

/**
 * The container as it is now, from its state. `own`: the state was read for
 * this alone, and becomes the result (listings: no copy per container).
 */
export function inspectState(stateRoot: string, state: ContainerState, o: { own?: boolean } = {}): ContainerInfo {
  const stateWith = o.own ? ownStateWith : copyStateWith
  // a running container has no exit record to read, nor an OOM kill to report yet (Docker's
  // OOMKilled is about how it exited): `ps` of many running containers reads one file each
  // (and health.json, for a container with a health check). Also when the runtime that
  // started it was killed before it could say so (its status still "created").
  if (state.pid !== undefined && isAlive(state)) return stateWith(state, { status: 'running' as const, oomKilled: state.oomKilled ?? false, paused: isFrozen(state), restarting: false, ...healthOf(stateRoot, state, true) })
  let exit: ExitRecord | undefined
  // a foreground run leaves none (its state has the code): a look first, rather than an error thrown and caught
  const exitPath = state.pid === undefined ? undefined : `${stateRoot}/${state.id}/exit.json`
  if (exitPath !== undefined && existsSync(exitPath)) {
    try {
      exit = JSON.parse(readFileSync(exitPath, 'utf8')) as ExitRecord
    } catch {
      // its monitor died before it could write, or a foreground run (its state has the code)
    }
  }
  const exitCode = exit?.exitCode ?? state.exitCode
  const finishedAt = exit?.finishedAt ?? state.finishedAt
  if (exitCode === undefined && state.status === 'created') {
    // never started (create), or not yet: while the runtime that starts it
    // lives it is starting; once that is gone with the container never run,
    // it is a failed start, which leaves nothing (start.ts)
    const starting = runtimeAlive(state) !== false || (state.monitorPid !== undefined && monitorAlive(state))
    // a foreground run --rm writes no "running": a pid gone with its runtime still there is its teardown
    if (starting && state.autoRemove && state.pid !== undefined) return stateWith(state, { status: 'exited' as const, oomKilled: false, paused: false, restarting: false, removing: true })
    return stateWith(state, { status: 'created' as const, oomKilled: false, paused: false, restarting: false, ...(starting ? {} : { unsettled: 'remove' as const }) })
  }
  // stateWith, not a spread: the spec and start input stay unread (state-config.ts)
  const info: ContainerInfo = stateWith(state, {
    status: 'exited' as const,
    exitCode,
    finishedAt,
    oomKilled: oomKilledOf(stateRoot, state),
    // its monitor has become the restart handler (restart-policy.ts), which waits out the back-off;
    // an exit its policy does not restart (on-failure's 0, its retries spent) is no restart while it ends
    restarting:
      exitCode !== undefined &&
      decideRestart(state.restartPolicy, { exitCode, ranMs: 0, restartCount: state.restartCount ?? 0, stoppedByUser: state.stoppedByUser === true }).restart &&
      monitorAlive(state, { exitCommand: true }),
    paused: false,
    ...healthOf(stateRoot, state, false),
  })
  if (recorderAlive(state)) return state.autoRemove ? Object.assign(info, { removing: true }) : info
  if (state.autoRemove) return Object.assign(info, { unsettled: 'remove' as const })
  if (exitCode === undefined) return Object.assign(info, { exitCode: UNKNOWN_EXIT_CODE, unsettled: 'unknown-exit' as const })
  return info
}

/**
 * Its recorded health; once it no longer runs, "unhealthy" whatever the last
 * check said, as Docker's: every exit stops the health monitor
 * (daemon/monitor.go, stopHealthchecks) and stopping it sets the status to
 * unhealthy (daemon/container/health.go, CloseMonitorChannel), the failing
 * streak and the log kept. The next start is "starting" again (runner-process.ts).
 */
function healthOf(stateRoot: string, state: ContainerState, running: boolean): { health?: HealthState } {
  const health = state.healthcheck ? readHealth(stateRoot, state.id) : undefined
  if (!health) return {}
  return { health: running ? health : { ...health, Status: 'unhealthy' } }
}

/** cgroup.events says "frozen 1": the whole cgroup is stopped by the v2 freezer (pause). */
function isFrozen(state: ContainerState): boolean {
  if (!state.cgroup) return false
  try {
    return /^frozen 1$/m.test(readFileSync(join(state.cgroup, 'cgroup.events'), 'utf8'))
  } catch {
    return false
  }
}

/**
 * Whether the OOM killer ran in an exited container: its record, else its
 * cgroup's memory.events. Its cleanup records it before it removes the
 * leaf (releaseCgroup), so a leaf found gone after a state read without the
 * record means that record is there now: the state is read again.
 */
function oomKilledOf(stateRoot: string, state: ContainerState): boolean {
  if (state.oomKilled !== undefined) return state.oomKilled
  if (containerOomKilled(state)) return true
  if (!state.cgroup && !state.cgroupV1?.length) return false
  try {
    return readState(stateRoot, state.id).oomKilled === true
  } catch {
    return false
  }
}

/**
 * Do what a killed runtime or monitor left undone (see the top of this
 * file), under the container's lock (skipped while someone else holds it);
 * returns what is true after, or undefined once the container is removed.
 */
export function settleContainer(stateRoot: string, c: ContainerInfo): ContainerInfo | undefined {
  if (c.unsettled === undefined) return c
  const lock = tryLockContainer(stateRoot, c.id)
  if (!lock) return c
  try {
    const now = inspectState(stateRoot, readState(stateRoot, c.id))
    if (now.unsettled === 'unknown-exit') {
      const finishedAt = new Date().toISOString()
      const error = 'its exit status is unknown: the process that waited for it was killed'
      updateState(stateRoot, c.id, (state) => ({ ...state, status: 'exited', exitCode: UNKNOWN_EXIT_CODE, finishedAt, error }))
      return { ...now, finishedAt, error, unsettled: undefined }
    }
    if (now.unsettled === 'remove' && removeLeftover(stateRoot, now)) return undefined
    return now
  } catch (err) {
    getLogger().debug({ err, id: c.id }, 'cannot settle container')
    return c
  } finally {
    lock.release()
  }
}

export function listContainers(stateRoot: string): ContainerInfo[] {
  if (!checkStateRoot(stateRoot)) return []
  const infos: ContainerInfo[] = []
  let containerDirs = 0
  let names = false
  for (const id of readdirSync(stateRoot)) {
    if (id === 'names') names = true
    if (!CONTAINER_ID.test(id)) continue
    containerDirs++
    try {
      const info = settleContainer(stateRoot, inspectState(stateRoot, readState(stateRoot, id), { own: true }))
      if (info) infos.push(info)
    } catch (err) {
      // no state.json: being created or removed right now, or what a killed runtime left
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && collectStateDir(stateRoot, id)) getLogger().debug({ id }, 'collected a state directory without state')
      // or not a state we can trust
      else getLogger().debug({ err, id }, 'skipping container state')
    }
  }
  // names/ without a container: what a start killed between making it and linking its name left
  if (names && containerDirs === 0) collectEmptyNames(stateRoot)
  return infos.sort((a, b) => textOrder(b.created, a.created))
}

/** Docker's resolution: full id, name, then a unique id prefix. */
export function findContainer(stateRoot: string, ref: string): ContainerInfo {
  const direct = lookUpDirectly(stateRoot, ref)
  if (direct) return direct
  const all = listContainers(stateRoot)
  const exact = all.find((c) => c.id === ref || c.name === ref || c.name === ref.replace(/^\//, ''))
  if (exact) return exact
  const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.id.startsWith(ref)) : []
  if (byPrefix.length === 1) return byPrefix[0]!
  if (byPrefix.length > 1) throw new MiniRunError(`multiple containers found with prefix ${ref}: be more precise`, { code: 'EAMBIGUOUS' })
  throw new MiniRunError(`no such container: ${ref}`, { code: 'ENOCONTAINER' })
}

/**
 * A full id, or a name whose link in names/ (state.ts createState) gives
 * the id: that container's state alone, rather than every container's
 * (`inspect`, `stop`, `rm`... of one among 50 read 50 states). Undefined
 * when that does not settle it (a prefix, a stale link, a state being
 * written or removed): the whole listing does, as before.
 */
function lookUpDirectly(stateRoot: string, ref: string): ContainerInfo | undefined {
  const name = ref.replace(/^\//, '')
  try {
    if (!checkStateRoot(stateRoot)) return undefined
    const id = CONTAINER_ID.test(ref) ? ref : CONTAINER_NAME.test(name) ? readlinkSync(join(stateRoot, 'names', name)) : undefined
    if (id === undefined || !CONTAINER_ID.test(id)) return undefined
    const info = settleContainer(stateRoot, inspectState(stateRoot, readState(stateRoot, id), { own: true }))
    return info && (info.id === ref || info.name === name) ? info : undefined
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') getLogger().debug({ err, ref }, 'look up a container directly')
    return undefined
  }
}

/**
 * The container's monitor still runs (not a zombie, not another process on
 * a reused pid). The monitor cloned the container, so it started no later
 * than the container's process did; a process that took its pid after it
 * exited started later (in clock ticks: only a newcomer within the
 * container's own 10 ms tick would pass). With `exitCommand`, the command it execs into at the
 * end (`run -d --rm`'s rm) counts too: same pid and start time, another name.
 */
export function monitorAlive(
  c: Pick<ContainerState, 'monitorPid' | 'pidStartTime'>,
  options: { exitCommand?: boolean } = {},
): boolean {
  if (c.monitorPid === undefined) return false
  const stat = readProcStat(c.monitorPid)
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false
  if (options.exitCommand !== true && !stat.comm.startsWith('mini-run-moni')) return false
  return c.pidStartTime === undefined || !startedAfter(stat.startTime, c.pidStartTime)
}

/**
 * Wait (up to ms) for the exit command the monitor execs once the container
 * has exited (`internal cleanup`: network teardown, --rm, --restart) to be
 * done: `stop`, `rm` and `start` then find what it left, and never race it.
 * Not when this process is that command.
 */
export async function waitExitCommand(c: Pick<ContainerState, 'monitorPid' | 'pidStartTime'>, ms = 10_000): Promise<void> {
  if (c.monitorPid === undefined || c.monitorPid === process.pid) return
  const end = Date.now() + ms
  while (monitorAlive(c, { exitCommand: true }) && Date.now() < end) await sleep(10)
}

/** The container as the kernel sees it now, or undefined once it has been removed. */
export function currentInfo(stateRoot: string, id: string): ContainerInfo | undefined {
  if (!existsSync(join(stateDir(stateRoot, id), 'state.json'))) return undefined
  try {
    return inspectState(stateRoot, readState(stateRoot, id))
  } catch {
    return undefined
  }
}

/** run -d --rm, and its monitor (or the rm it becomes) is there to remove it. */
export function removesItself(c: ContainerState): boolean {
  return c.autoRemove === true && monitorAlive(c, { exitCommand: true })
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
