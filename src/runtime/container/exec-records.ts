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
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { processStartTime } from '../../proc-stat.js'
import { monitorAlive } from './containers.js'
import { stateDir } from './state.js'

/** An exec's id: Docker's are 64 hex digits; the service's are its own (api-attach.ts execCreateRoute). */
export const EXEC_ID = /^[0-9a-f]{64}$/

/** How long an exec's files stay once it has ended: the service forgets its execs after 10 minutes too. */
const KEEP_ENDED_MS = 600_000

export interface ExecRecord {
  pid: number
  pidStartTime?: string
  monitorPid: number
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

/** Once the command runs: its pid and its monitor's. */
export function writeExecRecord(stateRoot: string, containerId: string, execId: string, launched: { pid: number; monitorPid: number }): void {
  const file = recordFile(stateRoot, containerId, execId)
  const record: ExecRecord = { pid: launched.pid, pidStartTime: processStartTime(launched.pid), monitorPid: launched.monitorPid }
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
  try {
    const exit = JSON.parse(readFileSync(execExitFile(stateRoot, containerId, execId), 'utf8')) as { exitCode: number }
    return { running: false, exitCode: exit.exitCode, pid: record.pid }
  } catch {
    // not written yet: it runs while its monitor lives (the monitor started before the command)
  }
  const running = monitorAlive({ monitorPid: record.monitorPid, pidStartTime: record.pidStartTime })
  return { running, exitCode: null, pid: record.pid }
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
 * the last few, not all of them.
 */
export function sweepExecRecords(stateRoot: string, containerId: string, now = Date.now()): void {
  const dir = stateDir(stateRoot, containerId)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const m = /^exec-([0-9a-f]{64})\.exit$/.exec(name)
    if (!m) continue
    try {
      if (now - statSync(join(dir, name)).mtimeMs > KEEP_ENDED_MS) removeExecRecord(stateRoot, containerId, m[1]!)
    } catch {
      // removed meanwhile
    }
  }
}
