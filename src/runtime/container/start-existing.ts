/**
 * `start`: a container that exists but does not run (Created, or Exited)
 * runs again, under a monitor, as `docker start` does: its start is planned
 * anew from what its state recorded (start-input.ts), with its writable
 * layer and volumes as they are.
 *
 * A start that fails gives back what it made (the cgroup leaf, fds) and
 * leaves the container as it was: Created stays Created (Docker's rule for
 * a failed start; a failed `run` leaves nothing, run-foreground.ts).
 */
import { existsSync, rmSync } from 'node:fs'
import { detachNetwork } from '../../network/index.js'
import { pausePoint } from '../../crash-point.js'
import { MiniRunError } from '../../errors.js'
import { containerEvent } from '../../events/container-events.js'
import { volumeMountEvents } from './container-volumes.js'
import { processStartTime } from '../../proc-stat.js'
import { planStart } from '../plan/plan-start.js'
import { execErrorOf } from '../process/exit-status.js'
import type { Host } from '../process/host.js'
import { runHostSteps } from '../process/run-host-steps.js'
import { StepError } from '../process/step-error.js'
import { exitFile, waitExitCommand, type ContainerInfo } from './containers.js'
import { noteLinks, updateLinkers, withLinks } from './container-links.js'
import { containerPathKind } from './prepare.js'
import { realHost } from './real-host.js'
import { networkContext } from './start.js'
import { replanInput, type GivenFlags, type MonitorVia } from './start-input.js'
import { blockIOAgain } from '../cgroup/blkio-flags.js'
import { applyUpdatesMeanwhile } from './limits-meanwhile.js'
import { readState, updateState, type ContainerState } from './state.js'
import { releaseCgroup } from './stop-container.js'
import { startHealthRunner } from '../health/runner-process.js'

export interface StartOptions {
  host?: Host
  /** Monitor options for this start only (the attach socket of `start -a`). */
  monitor?: Partial<MonitorVia['monitor']>
  /** A restart by its policy: counted, and the count kept (a start by the user resets it, as in Docker). */
  restart?: { delayMs: number }
}

/** Start it; resolves to its state once its command runs. A running container is left as it is. */
export async function startExisting(stateRoot: string, c: ContainerInfo, o: StartOptions = {}): Promise<ContainerState> {
  if (c.status === 'running') return c
  // its runtime or monitor is removing it (a stopped --rm container goes at once): its layer is half gone;
  // one made by create --rm has never run, and goes after this start's exit
  if (c.autoRemove && c.status !== 'created') throw new MiniRunError(`container ${c.id.slice(0, 12)} is marked for removal (run --rm) and cannot be started`, { code: 'EREMOVING' })
  if (!c.startInput || !c.spec) {
    throw new MiniRunError(`container ${c.id.slice(0, 12)} cannot be started again: its state does not record how (removed meanwhile, or made by an older mini-run)`, { code: 'ENOSTARTINPUT' })
  }
  const host = o.host ?? realHost
  // Its last monitor execs `internal cleanup` once it has exited: that must
  // be done (unless this is it, restarting the container) before anything
  // is made anew, or it would give back the new network
  await waitExitCommand(c)
  // what that cleanup did not get to (it was killed): the same teardown, which is idempotent
  if (c.network && !c.network.detached) detachNetwork(stateRoot, c.id, c.network)
  // a stopped container keeps no cgroup: its old leaf goes before a new one is made
  await releaseCgroup(stateRoot, c)
  // Its last exit stays readable while this start is made: the record goes
  // (the next exit writes its own) once the state holds its code and time,
  // so a `ps` in between shows "Restarting (3) 2 seconds ago", not an exit
  // it cannot know (255)
  const exitPath = exitFile(stateRoot, c.id)
  if (existsSync(exitPath)) {
    if (c.exitCode !== undefined) updateState(stateRoot, c.id, (now) => ({ ...now, exitCode: c.exitCode, ...(c.finishedAt !== undefined && { finishedAt: c.finishedAt }) }))
    rmSync(exitPath, { force: true })
  }
  const plan = planStart(withLinks(replanInput(c.startInput, specWithDevicesAgain(c.spec, c.startInput.given), containerPathKind(c.startInput.network), o.monitor), stateRoot, c.name))
  // the network it had was given back when it exited: it attaches anew
  const before = readState(stateRoot, c.id)
  pausePoint('start:before-host-steps')
  const launched = await runHostSteps(plan, host, { stdio: [0, 1, 2], network: networkContext(stateRoot, before) })
  let failure: Error | null
  try {
    failure = await launched.started
  } catch (err) {
    failure = err as Error
  }
  if (failure) {
    await launched.resources.undo()
    throw failure instanceof StepError ? (execErrorOf(failure) ?? failure) : failure
  }
  launched.resources.closeFds()
  // its state went meanwhile (an rm of it, or a collected half-removed state): what
  // started stops, what was made goes, as for a run (start.ts)
  const abandon = async (err: unknown): Promise<never> => {
    try {
      host.kill(launched.pid, 'SIGKILL')
    } catch {
      // gone already
    }
    await launched.resources.undo()
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    throw new MiniRunError(`container ${c.id.slice(0, 12)} was removed while it was being started`, { code: 'ENOCONTAINER', cause: err })
  }
  // read again and written as one update: a stop or rm -f that marked it while
  // this restart started it keeps its mark (restart-container.ts stops it again)
  let state: ContainerState
  try {
    state = updateState(stateRoot, c.id, (now) => {
      if (o.restart) pausePoint('restart:before-write')
      const next: ContainerState = {
        ...now,
        status: 'running',
        pid: launched.pid,
        pidStartTime: processStartTime(launched.pid),
        monitorPid: launched.monitorPid,
        startedAt: new Date().toISOString(),
        stoppedByUser: o.restart ? before.stoppedByUser === true || now.stoppedByUser === true : false,
        restartCount: o.restart ? (before.restartCount ?? 0) + 1 : 0,
        ...(o.restart ? { restartDelayMs: o.restart.delayMs } : {}),
      }
      if (!o.restart) delete next.restartDelayMs
      delete next.exitCode
      delete next.finishedAt
      delete next.oomKilled
      // an update that came while this start was made: its limits, into the cgroups just made
      return Object.assign(next, applyUpdatesMeanwhile(now, { limitsUpdates: c.limitsUpdates, cgroupV1: c.startInput!.cgroupV1 }))
    })
  } catch (err) {
    return abandon(err)
  }
  // the one place every later start passes: start, restart, a restart policy, compose
  volumeMountEvents(stateRoot, state)
  containerEvent(stateRoot, 'start', state)
  // its links noted, and the /etc/hosts of those linking to it told its address (container-links.ts)
  noteLinks(stateRoot, c.id, state.name, c.startInput.network)
  updateLinkers(stateRoot, { id: c.id })
  startHealthRunner(stateRoot, state)
  return state
}

/** The spec with its block devices' numbers found again by their paths (blkio-flags.ts blockIOAgain). */
function specWithDevicesAgain(spec: NonNullable<ContainerInfo['spec']>, given: GivenFlags | undefined): NonNullable<ContainerInfo['spec']> {
  const resources = spec.linux.resources
  if (!resources?.blockIO || !given?.blkioDevices) return spec
  return { ...spec, linux: { ...spec.linux, resources: { ...resources, blockIO: blockIOAgain(resources.blockIO, given.blkioDevices) } } }
}
