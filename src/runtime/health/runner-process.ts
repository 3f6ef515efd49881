/**
 * Start and stop a container's health runner (health-runner.ts) as a
 * process of its own: detached from the command that started the
 * container, recorded by pid and /proc start time so that rm kills that
 * process and never one that took its pid later.
 */
import { spawn } from 'node:child_process'
import { processStartTime, readProcStat } from '../../proc-stat.js'
import type { ContainerState } from '../container/state.js'
import { initialHealth, readHealth, updateHealth } from './health-state.js'

/**
 * At each start of a detached container with a health check (its first,
 * start-detached.ts; every later one, start-existing.ts: `start`,
 * `restart`, a restart policy, compose): it starts out "starting" again
 * with no failing streak, the last results kept in its log (Docker's
 * initHealthMonitor), under a runner of its own spawned with the recorded
 * argv (`mini-run internal health ID`). The last start's runner, if it
 * still runs, goes.
 */
export function startHealthRunner(stateRoot: string, state: Pick<ContainerState, 'id' | 'healthcheck' | 'healthRunner'>): void {
  if (!state.healthcheck || !state.healthRunner) return
  const id = state.id
  stopHealthRunner(stateRoot, id)
  updateHealth(stateRoot, id, (h) => ({ ...initialHealth(), Log: h.Log }))
  const [file, ...args] = state.healthRunner
  if (file === undefined) return
  const child = spawn(file, args, { detached: true, stdio: 'ignore' })
  child.unref()
  const startTime = child.pid !== undefined ? processStartTime(child.pid) : undefined
  if (child.pid !== undefined && startTime) {
    const pid = child.pid
    updateHealth(stateRoot, id, (h) => ({ ...h, runner: h.runner ?? { pid, startTime } }))
  }
}

/** Kill the container's runner, if it still runs (rm, a new start). */
export function stopHealthRunner(stateRoot: string, id: string): void {
  const runner = readHealth(stateRoot, id)?.runner
  if (!runner) return
  const stat = readProcStat(runner.pid)
  if (!stat || stat.startTime !== runner.startTime || stat.state === 'Z') return
  try {
    process.kill(runner.pid, 'SIGKILL')
  } catch {
    // gone meanwhile
  }
}
