/**
 * Acting on a container's process: only through a pidfd (pidfd_open(2))
 * whose identity was checked.
 *
 * A recorded pid may since belong to another process: the container's has
 * exited, been reaped, and the kernel gave the number to a host process. A
 * signal, a setns or a look into /proc by pid would then reach that process
 * (exec in the host's namespaces, kill of a host daemon). So: open a pidfd,
 * check that the pid still holds the process recorded at the start (its
 * start time, proc-stat.ts), and from then on act through the pidfd, which
 * names that process alone: a signal to it once it has exited fails with
 * ESRCH instead of reaching a newcomer.
 */
import { closeSync, constants, openSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { MiniRunError } from '../../errors.js'
import * as native from '../../native/lib.js'
import * as processCalls from '../../native/process-calls.js'
import { isRecordedProcess, readProcStat, type ProcStat } from '../../proc-stat.js'
import type { ContainerState } from '../container/state.js'

/** The error for a container whose process is gone (or was never started). */
export function notRunning(id: string, cause?: unknown): MiniRunError {
  return new MiniRunError(`container ${id.slice(0, 12)} is not running`, { code: 'ENOTRUNNING', cause })
}

/** open(2) flags Node's fs.constants lacks (asm-generic/fcntl.h). */
const O_PATH = 0o10000000

/** What the check needs from the host: a double in tests stands in for it. */
export interface ProcessTable {
  pidfdOpen(pid: number): number
  stat(pid: number): ProcStat | undefined
  close(fd: number): void
}

export const hostProcesses: ProcessTable = {
  pidfdOpen: processCalls.pidfdOpen,
  stat: readProcStat,
  close: closeSync,
}

/**
 * A pidfd of the container's own process (the caller closes it), or
 * undefined when that process is gone: exited, or its pid now someone
 * else's. The pidfd names whatever held the pid at pidfd_open; the stat
 * read after it, whatever holds it now. When that is the recorded process,
 * it held the pid all along (it started before, and keeps its pid until
 * reaped), so the pidfd is its own.
 */
export function openContainerProcess(
  state: Pick<ContainerState, 'pid' | 'pidStartTime'>,
  table: ProcessTable = hostProcesses,
): number | undefined {
  if (!state.pid || state.pidStartTime === undefined) return undefined
  let pidfd: number
  try {
    pidfd = table.pidfdOpen(state.pid)
  } catch (err) {
    if ((err as native.NativeError).code === 'ESRCH') return undefined
    throw err
  }
  if (isRecordedProcess(table.stat(state.pid), state.pidStartTime)) return pidfd
  table.close(pidfd)
  return undefined
}

/** Signal the pidfd's process; false when it has exited meanwhile. */
export function signalProcess(pidfd: number, signal: NodeJS.Signals | number): boolean {
  try {
    processCalls.pidfdSendSignal(pidfd, typeof signal === 'number' ? signal : osConstants.signals[signal])
    return true
  } catch (err) {
    const code = (err as native.NativeError).code
    if (code === 'ESRCH') return false
    // signal 0 only asks whether it is there: EPERM says it is
    if (signal === 0 && code === 'EPERM') return true
    throw err
  }
}

/**
 * An O_PATH fd of the process's root directory (the container's "/"), or
 * undefined when the process is gone. /proc/<pid>/root is looked up by
 * number: it was the pidfd's process's only if that process had not been
 * reaped by then, which a signal 0 through the pidfd tells after the fact.
 */
export function openProcessRoot(pidfd: number, pid: number): number | undefined {
  let root: number
  try {
    root = openSync(`/proc/${pid}/root`, O_PATH | constants.O_DIRECTORY)
  } catch (err) {
    // a reaped pid has no /proc entry; a zombie has no root any more
    if (['ENOENT', 'ESRCH'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined
    throw err
  }
  if (signalProcess(pidfd, 0)) return root
  closeSync(root)
  return undefined
}
