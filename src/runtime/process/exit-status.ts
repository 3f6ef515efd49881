/**
 * How a container's end becomes an exit code, as Docker's CLI reports it:
 * the command's own status, 128+N when signal N killed it, 126 when the
 * command could not be executed, 127 when it does not exist.
 */
import { MiniRunError } from '../../errors.js'
import * as native from '../../native/lib.js'
import type { StepError } from './step-error.js'

export const EXIT_CANNOT_EXECUTE = 126
export const EXIT_NOT_FOUND = 127
/** 128 + N when the process was killed by signal N. */
export const EXIT_SIGNAL_BASE = 128

/** The signal that ended a process (a wait(2) status), or 0 when it exited by itself (or only stopped). */
export function signalOf(status: number): number {
  const signal = status & 0x7f
  return signal === 0x7f ? 0 : signal
}

/** 128+N for a signal, the exit code otherwise (a wait(2) status). */
export function exitCodeOf(status: number): number {
  const signal = signalOf(status)
  if (signal === 0) return (status >> 8) & 0xff
  return EXIT_SIGNAL_BASE + signal
}

/** The command could not be executed: Docker's 126 (not executable) or 127 (not found). */
export class ExecError extends MiniRunError {
  override name = 'ExecError'
  readonly exitCode: number
  constructor(message: string, exitCode: number, cause: StepError) {
    super(message, { cause, code: cause.code })
    this.exitCode = exitCode
  }
}

/** The child was killed by a signal before it could start: the start failed (125, as any other), and this says why. */
export class KilledError extends MiniRunError {
  override name = 'KilledError'
  constructor(message: string, readonly signal: number, cause?: unknown) {
    super(message, { cause, code: 'EKILLED' })
  }
}

/** The ExecError a failed exec step means, or undefined for any other step. */
export function execErrorOf(err: StepError): ExecError | undefined {
  if (err.step?.op !== 'exec') return undefined
  const file = err.step.args[0] ?? ''
  if (err.code === 'ENOENT') {
    const what = file.includes('/') ? 'no such file or directory' : 'executable file not found in $PATH'
    return new ExecError(`exec "${file}": ${what}`, EXIT_NOT_FOUND, err)
  }
  return new ExecError(`exec "${file}": ${native.strerror(err.errno).toLowerCase()}`, EXIT_CANNOT_EXECUTE, err)
}
