/**
 * Start and stop a container's health runner (health-runner.ts) as a
 * process of its own: detached from the command that started the
 * container, recorded by pid and /proc start time so that rm kills that
 * process and never one that took its pid later.
 */
import { spawn } from 'node:child_process'
import { processStartTime, readProcStat } from '../../proc-stat.js'
import { initialHealth, readHealth, updateHealth } from './health-state.js'

/** The container starts out "starting"; its runner is spawned with argv (`mini-run internal health ID`). */
export function startHealthRunner(stateRoot: string, id: string, argv: readonly string[]): void {
  updateHealth(stateRoot, id, () => initialHealth())
  const [file, ...args] = argv
  if (file === undefined) return
  const child = spawn(file, args, { detached: true, stdio: 'ignore' })
  child.unref()
  const startTime = child.pid !== undefined ? processStartTime(child.pid) : undefined
  if (child.pid !== undefined && startTime) {
    const pid = child.pid
    updateHealth(stateRoot, id, (h) => ({ ...h, runner: h.runner ?? { pid, startTime } }))
  }
}

/** Kill the container's runner, if it still runs (rm). */
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
