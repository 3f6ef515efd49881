/**
 * The health runner: `mini-run internal health ID`, one small process per
 * container that has a health check (detached or in the foreground),
 * started with it.
 *
 * Why a process of its own and not the monitor: the monitor is policy-free
 * C that knows nothing of execs, users or plans, and a check is an exec
 * (the container's namespaces, cgroup, user, capabilities: the plan
 * exec-container.ts makes). The runner carries out that plan in-process,
 * so a check costs a clone, not the start of another `mini-run exec`; a
 * container without a check has no runner at all.
 *
 * It never outlives its container: it holds a pidfd of the container's
 * process (checked against the recorded start time) and looks at it twice
 * a second, and between checks, and it leaves once that process is gone or
 * the container's state directory is (rm also kills it, by the pid and
 * start time recorded in health.json). Results are written under a lock,
 * by rename (health-state.ts).
 */
import { closeSync, existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { processStartTime } from '../../proc-stat.js'
import { inspectState, isAlive } from '../container/containers.js'
import { readState, stateDir } from '../container/state.js'
import { openContainerProcess, signalProcess } from '../process/container-process.js'
import { healthSchedule } from './health-config.js'
import { applyResult, nextDelay, readHealth, updateHealth, type HealthState } from './health-state.js'
import { containerEvent, type ContainerActor } from '../../events/container-events.js'
import { runHealthCheck } from './run-check.js'

/** How often the runner looks whether its container still runs. */
const WATCH_MS = 500

/** A check's code when SIGKILL ended it (128+9), and how long its container then has to end too before the result counts. */
const KILLED = 137
const KILLED_SETTLE_MS = 2000

/** Run the container's checks until it is gone. Resolves when it is. */
export async function runHealthMonitor(stateRoot: string, id: string): Promise<void> {
  const state = readState(stateRoot, id)
  if (!state.healthcheck) return
  const schedule = healthSchedule(state.healthcheck)
  const pidfd = openContainerProcess(state)
  if (pidfd === undefined) return
  // a zombie is gone: its monitor has not reaped it yet, and its checks are being killed
  const alive = () => existsSync(stateDir(stateRoot, id)) && signalProcess(pidfd, 0) && isAlive(state)
  try {
    const startTime = processStartTime(process.pid)
    if (startTime) updateHealth(stateRoot, id, (h) => ({ ...h, runner: { pid: process.pid, startTime } }))
    // the start period counts from this start, not the container's creation
    const startedAt = Date.parse(state.startedAt ?? state.created)
    for (;;) {
      const health = readHealth(stateRoot, id)
      if (!health) return
      const due = Date.now() + nextDelay(health, schedule, startedAt, Date.now())
      while (Date.now() < due) {
        if (!alive()) return
        await sleep(Math.min(WATCH_MS, due - Date.now()))
      }
      if (!alive()) return
      const c = inspectState(stateRoot, readState(stateRoot, id))
      if (c.status !== 'running') return
      // paused: no check, as Docker's monitor is closed then (pause-container.ts)
      if (c.paused) continue
      const result = await runHealthCheck(stateRoot, c, schedule)
      // a check killed with its container (a stop's cgroup.kill, or the kernel at its clone:
      // run-host-steps.ts) ends a moment before the container's own process does
      if (result.ExitCode === KILLED && (await endsWithin(alive, KILLED_SETTLE_MS))) continue
      // a check that failed because the container was going away, or was paused meanwhile, says nothing of its health
      if (!alive() || inspectState(stateRoot, readState(stateRoot, id)).paused) continue
      recordResult(stateRoot, c, (h) => applyResult(h, result, schedule, startedAt))
    }
  } catch (err) {
    // the state went away under us (rm): that is the end, not an error
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || !existsSync(stateDir(stateRoot, id))) return
    throw err
  } finally {
    closeSync(pidfd)
  }
}

/** Whether alive() turns false within ms. */
async function endsWithin(alive: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (!alive()) return true
  return !alive()
}

/** `healthcheck run`: one check now, recorded as the runner records one. */
export async function runHealthCheckNow(stateRoot: string, id: string) {
  const state = readState(stateRoot, id)
  const c = inspectState(stateRoot, state)
  if (!state.healthcheck) return undefined
  const schedule = healthSchedule(state.healthcheck)
  const result = await runHealthCheck(stateRoot, c, schedule)
  const health = recordResult(stateRoot, c, (h) => applyResult(h, result, schedule, Date.parse(state.startedAt ?? state.created)))
  return { result, health }
}

/** Docker's health_status event: when a result changes the status (daemon/health.go handleProbeResult). */
function recordResult(stateRoot: string, c: ContainerActor, apply: (h: HealthState) => HealthState): HealthState {
  let before: HealthState['Status'] | undefined
  const health = updateHealth(stateRoot, c.id, (h) => {
    before = h.Status
    return apply(h)
  })
  if (health.Status !== before) containerEvent(stateRoot, `health_status: ${health.Status}`, c)
  return health
}
