/**
 * Stay with a launched process until it exits: its terminal (with -t), the
 * runtime's signals forwarded to it, its exit status. Shared by `run` and
 * `exec` in the foreground.
 */
import * as native from '../../native/lib.js'
import { execErrorOf, exitCodeOf } from './exit-status.js'
import type { Host } from './host.js'
import type { Launched } from './run-host-steps.js'
import { attachTerminal } from './terminal.js'

export { execErrorOf, exitCodeOf, ExecError } from './exit-status.js'

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']

export interface SuperviseOptions {
  forwardSignals: boolean
  /** Called once the command runs (its final execve succeeded). */
  onRunning?: () => void
}

/**
 * Resolves to the exit code; a failed start throws a StepError, or an
 * ExecError (126, 127) when the command itself could not be executed.
 * Call it right after runHostSteps, before anything else awaits: the
 * child's exit is waited for from the start.
 */
export async function superviseProcess(launched: Launched, host: Host, o: SuperviseOptions): Promise<number> {
  const exited = native.waitStatus(launched.pid)
  const forward = (signal: NodeJS.Signals) => {
    try {
      host.kill(launched.pid, signal)
    } catch {
      // it exited meanwhile
    }
  }
  if (o.forwardSignals) for (const s of FORWARDED_SIGNALS) process.on(s, forward)
  try {
    let terminal: ReturnType<typeof attachTerminal> | undefined
    const receiver = launched.resources.fds.get('pty-receiver')
    if (receiver !== undefined) {
      launched.resources.fds.delete('pty-receiver')
      // the master arrives before the final execve, or the socket closes on failure
      const master = await native.recvFd(receiver).catch(() => undefined)
      host.close(receiver)
      if (master !== undefined) terminal = attachTerminal(master)
    }
    const failure = await launched.started
    if (failure) {
      terminal?.close()
      await exited
      throw execErrorOf(failure) ?? failure
    }
    o.onRunning?.()
    const status = await exited
    await terminal?.finished()
    return exitCodeOf(status)
  } finally {
    if (o.forwardSignals) for (const s of FORWARDED_SIGNALS) process.off(s, forward)
  }
}
