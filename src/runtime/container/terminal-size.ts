/**
 * A running container's terminal size, set from outside: TIOCSWINSZ on its
 * pty's slave, opened through its process's own stdin, stdout or stderr
 * (/proc/PID/fd/N). The kernel keeps one size for the pair and sends
 * SIGWINCH to the terminal's foreground group, as when the master is
 * resized. No attach to its monitor: a connection there would end a
 * `start --attach`'s hold on the first output (monitor.c --wait-attach).
 */
import { closeSync, constants, openSync } from 'node:fs'
import { isRecordedProcess, readProcStat } from '../../proc-stat.js'
import * as processCalls from '../../native/process-calls.js'
import type { ContainerInfo } from './containers.js'

/** Whether a terminal of the container's process took the size (false: it has none, or it is gone). */
export function resizeContainerTerminal(c: Pick<ContainerInfo, 'pid' | 'pidStartTime'>, rows: number, cols: number): boolean {
  if (c.pid === undefined) return false
  for (const n of [0, 1, 2]) {
    let fd: number
    try {
      // O_NONBLOCK: a FIFO there must not hold the open; O_NOCTTY: never the service's own terminal
      fd = openSync(`/proc/${c.pid}/fd/${n}`, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK)
    } catch {
      continue // closed, a socket (ENXIO), or gone
    }
    try {
      // the pid taken by another process between the look and the open: not its terminal to resize
      if (!isRecordedProcess(readProcStat(c.pid), c.pidStartTime)) return false
      if (!processCalls.isTerminal(fd)) continue
      processCalls.setWinsize(fd, rows, cols)
      return true
    } finally {
      closeSync(fd)
    }
  }
  return false
}
