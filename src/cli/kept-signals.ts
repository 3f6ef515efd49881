/**
 * `run --sig-proxy=false`: the CLI keeps the signals it receives instead of
 * passing them on to the container, and stays with the container until it
 * exits, as Docker's CLI does since 28.0: its attach and its wait for the
 * exit are not tied to the context a SIGINT or SIGTERM cancels (docker/cli
 * 150fb55, "container stream should not be terminated by ctx"). The third
 * SIGINT or SIGTERM ends the CLI with Docker's words and exit 1
 * (cmd/docker's forceExitAfter3TerminationSignals), the container left
 * running: `mini-run stop` ends it, and the next command that looks at it
 * after its exit cleans up, as after a runtime that was killed.
 *
 * The others are kept too, and do nothing: Go's runtime ignores SIGUSR1 and
 * SIGUSR2 the same way, and Node would start its inspector on a SIGUSR1 it
 * had no listener for. A SIGHUP does not end the CLI: it is the container's
 * parent, and a terminal really gone is seen on its outputs (supervise.ts).
 */
import { writeSync } from 'node:fs'
import { exitNow } from '../native/process-calls.js'

const FORCE_EXIT_AFTER = 3

/**
 * Takes the signals the CLI keeps: passed to runPrepared as its ownSignal,
 * or listened for (keepSignals). restore: the terminal as it was, before
 * the last line (a raw one would not return the cursor at its end).
 */
export function keptSignalCounter(restore?: () => void): (signal: NodeJS.Signals) => void {
  let terminations = 0
  return (signal) => {
    if (signal !== 'SIGINT' && signal !== 'SIGTERM') return
    if (++terminations < FORCE_EXIT_AFTER) return
    restore?.()
    writeSync(2, `got ${FORCE_EXIT_AFTER} SIGTERM/SIGINTs, forcefully exiting\n`)
    // _exit(2), not Node's exit: that joins libuv's pool, where a thread
    // waits in poll(2) for the outputs' hangup until the container ends (supervise.ts)
    exitNow(1)
  }
}

const KEPT: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']

/**
 * The caller's terminal as it was: attach-session.ts and terminal.ts make it
 * raw (and clear its output post-processing), and exitNow skips Node's own
 * putting it back. libuv restores the whole mode it saved.
 */
export function restoreTerminal(): void {
  if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false)
}

/** keptSignalCounter for the CLI's own signals (run -it, whose session passes none on); returns a stop function. */
export function keepSignals(): () => void {
  const take = keptSignalCounter(restoreTerminal)
  for (const s of KEPT) process.on(s, take)
  return () => {
    for (const s of KEPT) process.off(s, take)
  }
}
