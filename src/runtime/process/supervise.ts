/**
 * Launch a planned process and stay with it until it exits: its terminal
 * (with -t), the runtime's signals forwarded to it, its exit status. Shared
 * by `run` and `exec`.
 */
import { closeSync } from 'node:fs'
import { MiniRunError } from '../../errors.js'
import * as native from '../../native/lib.js'
import { launch, type LaunchOptions, type StepError } from './launch.js'
import { attachTerminal } from './terminal.js'

/** The command could not be executed: Docker's 126 (not executable) or 127 (not found). */
export class ExecError extends MiniRunError {
  readonly exitCode: number
  constructor(message: string, exitCode: number, cause: StepError) {
    super(message, { cause, code: cause.code })
    this.exitCode = exitCode
  }
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']

/** 128+N for a signal, the exit code otherwise (wait(2) status). */
export function exitCodeOf(status: number): number {
  const signal = status & 0x7f
  if (signal === 0) return (status >> 8) & 0xff
  return 128 + signal
}

export interface SuperviseOptions extends LaunchOptions {
  /** The plan has an open_pty step: give it a socket and relay the terminal. */
  pty: boolean
  forwardSignals: boolean
  /** Called once the child exists (its pid), and once its command runs. */
  onSpawned?: (pid: number) => void
  onRunning?: () => void
}

/** Resolves to the exit code; a failed start throws StepError or ExecError. */
export async function superviseProcess(o: SuperviseOptions): Promise<number> {
  let ptySockets: [number, number] | undefined
  try {
    const keepFds = [...(o.keepFds ?? [])]
    if (o.pty) {
      ptySockets = native.socketpair()
      keepFds.push(ptySockets[1])
      for (const step of o.plan.steps) if (step.op === 'open_pty') step.socketFd = ptySockets[1]
    }
    const launched = launch({ ...o, keepFds })
    const exited = native.waitStatus(launched.pid)
    o.onSpawned?.(launched.pid)
    const forward = (signal: NodeJS.Signals) => {
      try {
        process.kill(launched.pid, signal)
      } catch {
        // it exited meanwhile
      }
    }
    if (o.forwardSignals) for (const s of FORWARDED_SIGNALS) process.on(s, forward)
    try {
      let terminal: ReturnType<typeof attachTerminal> | undefined
      if (ptySockets) {
        closeSync(ptySockets[1])
        const sock = ptySockets[0]
        ptySockets = undefined
        // the master arrives before the final execve, or the socket closes on failure
        const master = await native.recvFd(sock).catch(() => undefined)
        closeSync(sock)
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
  } finally {
    if (ptySockets) for (const fd of ptySockets) closeSync(fd)
  }
}

export function execErrorOf(err: StepError): ExecError | undefined {
  if (err.step?.op !== 'exec') return undefined
  const file = err.step.args[0] ?? ''
  if (err.code === 'ENOENT') {
    const what = file.includes('/') ? 'no such file or directory' : 'executable file not found in $PATH'
    return new ExecError(`exec "${file}": ${what}`, 127, err)
  }
  return new ExecError(`exec "${file}": ${native.strerror(err.errno).toLowerCase()}`, 126, err)
}
