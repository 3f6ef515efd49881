/**
 * A detached container's restart policy, carried out: its monitor execs
 * `mini-run internal restart ID` once it has written the exit record
 * (native/monitor.c's exit command), and that is this: decide (restart-
 * policy.ts), wait out the back-off, and start it again under a new
 * monitor (start-existing.ts), whose exit command is this one again.
 *
 * While it waits the container shows as restarting. `stop`, `kill` and
 * `rm` may come meanwhile: the state is read again after the wait, and
 * again after the start, and a container stopped or removed by then does
 * not stay started.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { destroyLeaf } from '../cgroup/cgroup.js'
import { dirname } from 'node:path'
import { decideRestart } from './restart-policy.js'
import { currentInfo } from './containers.js'
import { startExisting } from './start-existing.js'
import { killAll, releaseCgroup, stopContainer } from './stop-container.js'

export type RestartOutcome = 'restarted' | 'not restarted' | 'gone'

export async function restartAfterExit(stateRoot: string, id: string): Promise<RestartOutcome> {
  const c = currentInfo(stateRoot, id)
  if (!c) return 'gone'
  if (c.status === 'running') return 'not restarted' // started again by the user meanwhile
  const ranMs = c.startedAt && c.finishedAt ? Date.parse(c.finishedAt) - Date.parse(c.startedAt) : 0
  const decision = decideRestart(c.restartPolicy, {
    exitCode: c.exitCode ?? 255,
    ranMs,
    restartCount: c.restartCount ?? 0,
    stoppedByUser: c.stoppedByUser === true,
    ...(c.restartDelayMs !== undefined ? { previousDelayMs: c.restartDelayMs } : {}),
  })
  if (!decision.restart) {
    await releaseCgroup(stateRoot, { ...c, restarting: false })
    return 'not restarted'
  }
  // the back-off, cut short by a stop or rm meanwhile (they wait for this command)
  const end = Date.now() + decision.delayMs
  while (Date.now() < end) {
    await sleep(Math.min(50, end - Date.now()))
    const meanwhile = currentInfo(stateRoot, id)
    if (!meanwhile || meanwhile.stoppedByUser) break
  }
  const now = currentInfo(stateRoot, id)
  if (!now) return 'gone'
  if (now.status === 'running') return 'not restarted'
  // decided again on the state as it is now: a stop meanwhile, or an update of the policy
  // (update --restart no), which inspect already shows as no restart (containers.ts)
  const again = decideRestart(now.restartPolicy, { exitCode: now.exitCode ?? 255, ranMs, restartCount: now.restartCount ?? 0, stoppedByUser: now.stoppedByUser === true })
  if (!again.restart) {
    await releaseCgroup(stateRoot, { ...now, restarting: false })
    return 'not restarted'
  }
  const started = await startExisting(stateRoot, { ...now, restarting: false }, { restart: { delayMs: decision.delayMs } })
  const after = currentInfo(stateRoot, id)
  if (!after) {
    // removed while it started: what was just started must not outlive its state
    const orphan = { ...now, ...started, status: 'running' as const, paused: false, restarting: false }
    killAll(orphan)
    if (started.cgroup && started.cgroupMount) await destroyLeaf({ path: started.cgroup, parent: dirname(started.cgroup) }, started.cgroupMount)
    return 'gone'
  }
  // a stop or rm -f came while it started: it has barely run, and the command
  // that marked it waits for this one (its own -t is for what ran before)
  if (after.stoppedByUser) await stopContainer(stateRoot, after, 0)
  return 'restarted'
}
