/**
 * A container's health as Docker's inspect shows it (State.Health), kept
 * in `<state>/<id>/health.json`, apart from state.json: its writers (the
 * health runner, `healthcheck run`) never rewrite the container's state,
 * which stop, rm and the monitor's cleanup write. Each change is a
 * read-modify-write under a flock(2) of `health.lock`, published by
 * write + rename, so a reader (ps, inspect) never sees half a file.
 */
import { closeSync, constants, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as lockCalls from '../../native/lock-calls.js'
import type { HealthSchedule } from './health-config.js'

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy'

/** One check: Docker's HealthcheckResult. */
export interface HealthLogEntry {
  Start: string
  End: string
  /** 0 healthy, 1 unhealthy; -1 when it could not run or ran past its timeout. */
  ExitCode: number
  Output: string
}

export interface HealthState {
  Status: HealthStatus
  FailingStreak: number
  Log: HealthLogEntry[]
  /** The runner process (pid and /proc start time), for rm to stop it and no other. */
  runner?: { pid: number; startTime: string }
}

/** Docker keeps the last five results, and 4 KiB of each one's output. */
export const MAX_LOG_ENTRIES = 5
export const MAX_OUTPUT = 4096

export function healthFile(stateRoot: string, id: string): string {
  return join(stateRoot, id, 'health.json')
}

export function initialHealth(): HealthState {
  return { Status: 'starting', FailingStreak: 0, Log: [] }
}

/** The recorded health, or undefined when there is none (no check, or removed). */
export function readHealth(stateRoot: string, id: string): HealthState | undefined {
  try {
    const h = JSON.parse(readFileSync(healthFile(stateRoot, id), 'utf8')) as HealthState
    if (!['starting', 'healthy', 'unhealthy'].includes(h.Status) || !Array.isArray(h.Log)) return undefined
    return h
  } catch {
    return undefined
  }
}

/**
 * Change the recorded health under the lock; fn gets the current one (or a
 * new one). Throws ENOENT when the container's state directory is gone.
 */
export function updateHealth(stateRoot: string, id: string, fn: (h: HealthState) => HealthState): HealthState {
  const lock = openSync(join(stateRoot, id, 'health.lock'), constants.O_RDWR | constants.O_CREAT, 0o600)
  try {
    lockCalls.flock(lock, 'exclusive')
    const next = fn(readHealth(stateRoot, id) ?? initialHealth())
    const file = healthFile(stateRoot, id)
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(next) + '\n', { mode: 0o600 })
    renameSync(tmp, file)
    return next
  } finally {
    closeSync(lock)
  }
}

/**
 * Docker's rules for one result (daemon/health.go handleProbeResult): a
 * success makes it healthy and ends the failing streak; a failure adds to
 * the streak, except while it is starting within its start period, and
 * `retries` failures in a row make it unhealthy.
 */
export function applyResult(h: HealthState, result: HealthLogEntry, schedule: Pick<HealthSchedule, 'retries' | 'startPeriodMs'>, startedAt: number): HealthState {
  const Log = [...h.Log, result].slice(-MAX_LOG_ENTRIES)
  if (result.ExitCode === 0) return { ...h, Status: 'healthy', FailingStreak: 0, Log }
  const inStartPeriod = h.Status === 'starting' && Date.parse(result.Start) - startedAt < schedule.startPeriodMs
  if (inStartPeriod) return { ...h, Log }
  const FailingStreak = h.FailingStreak + 1
  return { ...h, FailingStreak, Status: FailingStreak >= schedule.retries ? 'unhealthy' : h.Status, Log }
}

/** How long until the next check: start_interval while starting within the start period, else the interval. */
export function nextDelay(h: HealthState, schedule: HealthSchedule, startedAt: number, now: number): number {
  const starting = h.Status === 'starting' && now - startedAt < schedule.startPeriodMs
  return starting ? schedule.startIntervalMs : schedule.intervalMs
}
