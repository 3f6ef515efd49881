/**
 * A detached exec's record (`exec -d`): its command runs under a
 * mini-run-monitor of its own, as a detached container's does (podman's
 * detached exec runs under conmon so): the monitor stays its parent, reaps
 * it and writes its exit code. Two files in the container's state
 * directory, removed with it:
 *
 *   exec-<ID>.json  written by `exec -d` once the command runs: its pid,
 *                   that pid's start time and the monitor's pid
 *   exec-<ID>.exit  the monitor's exit file (native/monitor.c --exit-file)
 *
 * The Docker API's exec inspect reads them (api-attach.ts): Running while
 * the monitor lives, the exit code once it wrote it. ID is the API's exec
 * id when the service started the exec, so its events and inspect agree.
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { processStartTime, readProcStat } from '../../proc-stat.js'
import { containerEvent } from '../../events/container-events.js'
import { CONTAINER_ID, readState, stateDir } from './state.js'

/** An exec's id: Docker's are 64 hex digits; the service's are its own (api-attach.ts execCreateRoute). */
export const EXEC_ID = /^[0-9a-f]{64}$/

/** How long an exec's files stay once it has ended: the service forgets its execs after 10 minutes too. */
const KEEP_ENDED_MS = 600_000

export interface ExecRecord {
  pid: number
  monitorPid: number
  /** The monitor's start time (/proc/PID/stat field 22): its pid is no one else's while it lives. Unset: gone when the record was written. */
  monitorStartTime?: string
}

export interface ExecStatus {
  running: boolean
  /** Null while it runs, and when its monitor died before writing it. */
  exitCode: number | null
  pid: number
}

export function execExitFile(stateRoot: string, containerId: string, execId: string): string {
  return join(stateDir(stateRoot, containerId), `exec-${execId}.exit`)
}

function recordFile(stateRoot: string, containerId: string, execId: string): string {
  return join(stateDir(stateRoot, containerId), `exec-${execId}.json`)
}

/**
 * prepareExec's `detached` for an exec -d: where its monitor writes the exit
 * code, and the exit command it execs then (`internal exec-exit`: its
 * exec_die event). `self` is mini-run's own command line (run-flags.ts selfCommand).
 */
export function detachedExec(stateRoot: string, containerId: string, execId: string, self: string[]): { exitFile: string; exitCommand: string[] } {
  return { exitFile: execExitFile(stateRoot, containerId, execId), exitCommand: [...self, 'internal', 'exec-exit', containerId, execId] }
}

/** Before a start: an id a record or exit file already has is refused (the service's ids are new; a caller's may not be). */
export function refuseUsedExecId(stateRoot: string, containerId: string, execId: string): void {
  if (existsSync(recordFile(stateRoot, containerId, execId)) || existsSync(execExitFile(stateRoot, containerId, execId))) {
    throw new MiniRunError(`exec id ${execId} is already in use in container ${containerId.slice(0, 12)}`)
  }
}

/** Once the command runs: its pid and its monitor's. */
export function writeExecRecord(stateRoot: string, containerId: string, execId: string, launched: { pid: number; monitorPid: number }): void {
  const file = recordFile(stateRoot, containerId, execId)
  const record: ExecRecord = { pid: launched.pid, monitorPid: launched.monitorPid, monitorStartTime: processStartTime(launched.monitorPid) }
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(record) + '\n', { mode: 0o600 })
  renameSync(tmp, file)
}

/** The exec as it is now; undefined when it left no record (not a detached one, or swept). */
export function readExecStatus(stateRoot: string, containerId: string, execId: string): ExecStatus | undefined {
  let record: ExecRecord
  try {
    record = JSON.parse(readFileSync(recordFile(stateRoot, containerId, execId), 'utf8')) as ExecRecord
  } catch {
    return undefined
  }
  // the monitor first: it writes the exit file before it exits, so a monitor gone means a file there (or a monitor killed)
  const lives = monitorLives(record)
  const exit = readExit(stateRoot, containerId, execId)
  if (exit !== undefined) return { running: false, exitCode: exit, pid: record.pid }
  return { running: lives, exitCode: null, pid: record.pid }
}

function readExit(stateRoot: string, containerId: string, execId: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(execExitFile(stateRoot, containerId, execId), 'utf8')) as { exitCode: number }).exitCode
  } catch {
    return undefined
  }
}

function monitorLives(r: ExecRecord): boolean {
  if (r.monitorStartTime === undefined) return false
  const stat = readProcStat(r.monitorPid)
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === r.monitorStartTime
}

/**
 * The monitor's exit command (`internal exec-exit`): Docker's exec_die event
 * for a detached exec, its exit code as recorded. None once the container is
 * gone (removed with it, as Docker's execs are).
 */
export function execDied(stateRoot: string, containerId: string, execId: string): void {
  if (!EXEC_ID.test(execId) || !CONTAINER_ID.test(containerId)) return
  const exitCode = readExit(stateRoot, containerId, execId)
  let state
  try {
    state = readState(stateRoot, containerId)
  } catch {
    return
  }
  if (exitCode !== undefined) containerEvent(stateRoot, 'exec_die', state, { execID: execId, exitCode: String(exitCode) })
}

/** Forget one exec's files (the service forgets the exec). */
export function removeExecRecord(stateRoot: string, containerId: string, execId: string): void {
  for (const file of [recordFile(stateRoot, containerId, execId), execExitFile(stateRoot, containerId, execId)]) {
    try {
      unlinkSync(file)
    } catch {
      // gone with the container, or never written
    }
  }
}

/**
 * The files of execs that ended long ago, removed at each `exec -d`: a
 * container that runs for months and gets a detached exec a minute keeps
 * the last few, not all of them. Ended: its exit file is that old, or its
 * record is and its monitor is gone without writing one (killed); a killed
 * writer's tmp file that old goes too.
 */
export function sweepExecRecords(stateRoot: string, containerId: string, now = Date.now()): void {
  const dir = stateDir(stateRoot, containerId)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  const old = (name: string) => now - statSync(join(dir, name)).mtimeMs > KEEP_ENDED_MS
  for (const name of names) {
    const m = /^exec-([0-9a-f]{64})\.(exit|json)(\.\d+\.tmp|\.tmp)?$/.exec(name)
    if (!m) continue
    const id = m[1]!
    try {
      if (m[3] !== undefined) {
        if (old(name)) unlinkSync(join(dir, name))
      } else if (m[2] === 'exit') {
        if (old(name)) removeExecRecord(stateRoot, containerId, id)
      } else if (!names.includes(`exec-${id}.exit`) && old(name)) {
        const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ExecRecord
        if (!monitorLives(record)) removeExecRecord(stateRoot, containerId, id)
      }
    } catch {
      // removed meanwhile, or a record cut short: left for the container's removal
    }
  }
}
