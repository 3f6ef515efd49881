/**
 * `exec -d`: start the command and leave it running, under a
 * mini-run-monitor of its own (the plan's clone step names it: prepareExec's
 * `detached`), which stays its parent, reaps it and writes its exit code, as
 * podman's conmon does for a detached exec. Once the command runs, its
 * record is written (exec-records.ts); a start that failed leaves no file.
 */
import { closeSync, openSync, unlinkSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { readProcStat } from '../../proc-stat.js'
import type { StartPlan } from '../plan/steps.js'
import { notRunning } from '../process/container-process.js'
import type { Host } from '../process/host.js'
import { runHostSteps } from '../process/run-host-steps.js'
import { execErrorOf } from '../process/supervise.js'
import type { ContainerInfo } from './containers.js'
import { refuseUsedExecId, sweepExecRecords, writeExecRecord } from './exec-records.js'
import { realHost } from './real-host.js'

/** How long a failed start waits for its monitor to write the exit file it then removes. */
const MONITOR_END_MS = 5000

export async function execDetached(stateRoot: string, c: ContainerInfo, plan: StartPlan, execId: string, host: Host = realHost): Promise<void> {
  const clone = plan.host.find((s) => s.kind === 'clone')
  if (clone?.kind !== 'clone' || !('monitor' in clone.via)) throw new TypeError('execDetached needs a plan prepared with detached')
  const exitFile = clone.via.monitor.exitFile
  sweepExecRecords(stateRoot, c.id)
  refuseUsedExecId(stateRoot, c.id, execId)
  const nul = openSync('/dev/null', 'r+')
  let launched
  try {
    launched = await runHostSteps(plan, host, { stdio: [nul, nul, nul] })
  } finally {
    closeSync(nul)
  }
  // the stage exits at a failure and the monitor records that: its file goes once it is written
  const undo = async () => {
    if (launched.monitorPid !== undefined) await monitorEnded(launched.monitorPid)
    try {
      unlinkSync(exitFile)
    } catch {
      // not written (the monitor died), or gone with the container
    }
  }
  let failure
  try {
    failure = await launched.started
  } catch (err) {
    // a step of the runtime's own after the clone (its v1 cgroups): the child was killed
    await undo()
    throw err
  } finally {
    launched.resources.closeFds()
  }
  if (failure) {
    await undo()
    if (failure.step?.op === 'setns' && failure.code === 'ESRCH') throw notRunning(c.id, failure)
    throw execErrorOf(failure) ?? failure
  }
  writeExecRecord(stateRoot, c.id, execId, { pid: launched.pid, monitorPid: launched.monitorPid! })
}

async function monitorEnded(pid: number): Promise<void> {
  const end = Date.now() + MONITOR_END_MS
  for (;;) {
    const stat = readProcStat(pid)
    if (!stat || stat.state === 'Z' || stat.state === 'X' || Date.now() > end) return
    await sleep(10)
  }
}
