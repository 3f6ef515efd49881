/**
 * `stop` and `kill`. A signal goes to the container's PID 1, through a pidfd
 * checked to be its own (container-process.ts: never a process that took
 * its pid later); `stop` waits, then kills the whole cgroup (cgroup.kill),
 * so a shell that ignores SIGTERM and every process it forked end all the
 * same.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { closeSync, existsSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { notRunning, openContainerProcess, signalProcess } from '../process/container-process.js'
import { currentInfo, exitFile, inspectState, isAlive, removesItself, settleContainer, waitExitCommand, type ContainerInfo } from './containers.js'
import { readState, updateState } from './state.js'
import { destroyLeaf } from '../cgroup/cgroup.js'
import { containerOomKilled, destroyV1Leaves } from './container-cgroups.js'
import { parseSignal } from '../spec/signals.js'
import { containerEvent, signalNumber } from '../../events/container-events.js'

/** Signal the container's own process; false when it is gone (exited, its pid reused). */
function signalOwnProcess(c: ContainerInfo, signal: NodeJS.Signals | number): boolean {
  const pidfd = openContainerProcess(c)
  if (pidfd === undefined) return false
  try {
    return signalProcess(pidfd, signal)
  } finally {
    closeSync(pidfd)
  }
}

export function signalContainer(c: ContainerInfo, signal: NodeJS.Signals | number): void {
  if (c.status !== 'running' || !signalOwnProcess(c, signal)) throw notRunning(c.id)
}

/** SIGKILL every process of the container, by its cgroup when it has one. */
export function killAll(c: ContainerInfo): void {
  if (c.cgroup && existsSync(join(c.cgroup, 'cgroup.kill'))) {
    writeFileSync(join(c.cgroup, 'cgroup.kill'), '1')
  } else {
    signalOwnProcess(c, 'SIGKILL')
  }
}

async function waitGone(c: ContainerInfo, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (isAlive(c)) {
    if (Date.now() >= end) return false
    await sleep(20)
  }
  return true
}

/** Wait (briefly) for the monitor to record the exit status. */
async function waitExitRecord(stateRoot: string, c: ContainerInfo): Promise<void> {
  if (!c.monitorPid) return
  const end = Date.now() + 2000
  while (!existsSync(exitFile(stateRoot, c.id)) && Date.now() < end) await sleep(10)
}

/**
 * Stopped by the user: its restart policy must not start it again (Docker's
 * HasBeenManuallyStopped), also when it exits on its own meanwhile.
 */
export function markStoppedByUser(stateRoot: string, c: ContainerInfo): void {
  if (!c.restartPolicy) return
  try {
    updateState(stateRoot, c.id, (state) => ({ ...state, stoppedByUser: true }))
  } catch (err) {
    // removed meanwhile (run -d --rm): nothing to restart
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/**
 * `stop -t`, else the container's --stop-timeout, else Docker's 10 seconds;
 * `stop -s` (Docker 23's StopOptions.Signal), else its --stop-signal or
 * image StopSignal, else SIGTERM.
 */
export async function stopContainer(stateRoot: string, c: ContainerInfo, timeoutSeconds?: number, signal?: NodeJS.Signals | number): Promise<ContainerInfo> {
  timeoutSeconds ??= c.stopTimeout ?? 10
  markStoppedByUser(stateRoot, c)
  if (c.status !== 'running' && c.restartPolicy && c.restartPolicy.name !== 'no') {
    // its policy may be starting it again right now (the monitor's exit command,
    // restart-container.ts): once that is done, a start that came before the mark
    // is what stops (the mark stays on it)
    await waitExitCommand(c)
    const now = currentInfo(stateRoot, c.id)
    if (now?.status === 'running' && now.monitorPid !== c.monitorPid) return stopContainer(stateRoot, now, timeoutSeconds, signal)
  }
  // a frozen cgroup holds the stop signal until it thaws (cgroup-v2.rst "Core Interface Files")
  if (c.paused) thaw(c)
  if (c.status === 'running') {
    // gone since we looked: there is nothing left to signal, and the rest applies
    const stopSignal = signal ?? parseSignal(c.stopSignal ?? 'SIGTERM')
    if (signalOwnProcess(c, stopSignal)) containerEvent(stateRoot, 'kill', c, { signal: signalNumber(stopSignal) })
    // a negative timeout waits for ever, as Docker's daemon does (no SIGKILL)
    if (!(await waitGone(c, timeoutSeconds < 0 ? Infinity : timeoutSeconds * 1000))) {
      killAll(c)
      containerEvent(stateRoot, 'kill', c, { signal: signalNumber('SIGKILL') })
      if (!(await waitGone(c, 10_000))) throw new MiniRunError(`container ${c.id.slice(0, 12)} did not stop after SIGKILL`)
    }
    await waitExitRecord(stateRoot, c)
    // its network is given back by then, as Docker's stop returns after the daemon's cleanup
    await waitExitCommand(c)
    // after the die its monitor saw; a stop of a stopped container logs nothing, as in Docker
    containerEvent(stateRoot, 'stop', c)
  }
  // run -d --rm: its monitor's exit command is removing it, state and all
  if (removesItself(c)) return { ...c, status: 'exited' }
  try {
    await releaseCgroup(stateRoot, c)
    // --rm with its monitor or runtime killed: nobody else will remove it
    return settleContainer(stateRoot, inspectState(stateRoot, readState(stateRoot, c.id))) ?? { ...c, status: 'exited' }
  } catch (err) {
    // its rm finished between our look and now: it is gone, as it should be
    if (c.autoRemove && (err as NodeJS.ErrnoException).code === 'ENOENT') return { ...c, status: 'exited' }
    throw err
  }
}

/**
 * A stopped container keeps no cgroup (as with Docker): once its leaf is
 * empty, note whether the OOM killer ran in it, then remove it.
 */
export async function releaseCgroup(stateRoot: string, c: ContainerInfo): Promise<void> {
  // run -d --rm: the monitor's exit command removes the leaf with the rest
  // (unless the monitor is gone: then no one would)
  if (removesItself(c) || !c.cgroup || !c.cgroupMount || !existsSync(c.cgroup) || isAlive(c)) return
  const oomKilled = containerOomKilled(c)
  updateState(stateRoot, c.id, (state) => ({ ...state, oomKilled }))
  await destroyLeaf({ path: c.cgroup, parent: dirname(c.cgroup) }, c.cgroupMount)
  await destroyV1Leaves(c)
}

/** cgroup.freeze 0: the cgroup runs again (unpause). */
export function thaw(c: Pick<ContainerInfo, 'cgroup'>): void {
  if (c.cgroup) writeFileSync(join(c.cgroup, 'cgroup.freeze'), '0')
}

export async function killContainer(stateRoot: string, c: ContainerInfo, signal: NodeJS.Signals | number): Promise<void> {
  markStoppedByUser(stateRoot, c)
  if (signal === 'SIGKILL') {
    if (c.status !== 'running') throw notRunning(c.id)
    killAll(c)
    containerEvent(stateRoot, 'kill', c, { signal: signalNumber(signal) })
    await waitGone(c, 10_000)
    await waitExitRecord(stateRoot, c)
    await waitExitCommand(c)
    await releaseCgroup(stateRoot, c)
  } else {
    signalContainer(c, signal)
    containerEvent(stateRoot, 'kill', c, { signal: signalNumber(signal) })
  }
}
