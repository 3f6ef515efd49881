/**
 * Starting mini-run-monitor (native/monitor.c), the parent of a detached
 * container: it clones the container with the same trampoline as a
 * foreground run and stays to reap it, log its output and record its exit.
 * Its interface is documented at the top of monitor.c.
 */
import { closeSync, readSync } from 'node:fs'
import { MiniRunError } from '../../errors.js'
import * as native from '../../native/lib.js'
import * as processCalls from '../../native/process-calls.js'
import type { CloneVia } from '../plan/steps.js'


export type MonitorOptions = Extract<CloneVia, { monitor: unknown }>['monitor']

/**
 * Start the monitor with the fds the trampoline needs (they arrive in the
 * monitor as 3, 4, 5... in the order of `passed` below) and read the
 * container's pid from it. `peer` is the runtime's end of the pty socket
 * (run -d -t): the monitor receives the master on it.
 */
export function spawnMonitor(o: MonitorOptions, cloneFlags: number, fds: processCalls.SpawnFds, peer?: number): { pid: number; monitorPid: number } {
  const [pidRead, pidWrite] = processCalls.pipe()
  const passed: number[] = []
  const at = (fd: number) => String(3 + passed.push(fd) - 1)
  const args = [
    '--clone-flags', String(cloneFlags),
    '--cgroup-fd', fds.cgroup >= 0 ? at(fds.cgroup) : '-1',
    '--stage-fd', at(fds.stage),
    '--program-fd', at(fds.program),
    '--sync-fd', at(fds.sync),
    '--report-fd', at(fds.report),
    '--pid-fd', at(pidWrite),
    // the program names keep fds by our numbers: the monitor moves them back (N:M)
    ...fds.keep.flatMap((fd) => ['--keep-fd', `${at(fd)}:${fd}`]),
    '--log', o.log,
    // the monitor rotates container.log as Docker's json-file driver does (spec/log-options.ts)
    ...(o.logMaxSize > 0 ? ['--log-max-size', String(o.logMaxSize), '--log-max-file', String(o.logMaxFile)] : []),
    '--exit-file', o.exitFile,
    ...(peer !== undefined ? ['--pty-socket-fd', at(peer)] : []),
    ...(o.interactive ? ['--interactive'] : []),
    ...(o.attachSocket !== undefined ? ['--attach-socket', o.attachSocket, ...(o.waitAttach ? ['--wait-attach'] : [])] : []),
    ...(o.exitCommand ?? []).flatMap((arg, i) => [i === 0 ? '--exit-command' : '--exit-command-arg', arg]),
  ]
  let monitorPid: number
  try {
    monitorPid = processCalls.spawnProgram(native.monitorPath(), args, passed)
  } catch (err) {
    closeSync(pidRead)
    throw err
  } finally {
    closeSync(pidWrite)
  }
  try {
    const buf = Buffer.alloc(4)
    let got = 0
    while (got < 4) {
      const n = readSync(pidRead, buf, got, 4 - got, null)
      if (n === 0) throw new MiniRunError(`mini-run-monitor (pid ${monitorPid}) exited before starting the container`)
      got += n
    }
    const pid = buf.readInt32LE(0)
    if (pid < 0) throw new native.NativeError('start mini-run-monitor', -pid)
    return { pid, monitorPid }
  } finally {
    closeSync(pidRead)
  }
}
