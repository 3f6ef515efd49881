import type { Command } from 'commander'
import { FlagValueError } from './exit-codes.js'

export interface StopFlags {
  time?: string
  signal?: string
}

/** `-t` and `-s`, as stop and restart take them (restart's stop is stop's). */
export function stopOptions(command: Command, what: { wait: string; signal: string }): Command {
  return command
    .option('-t, --time <seconds>', `seconds to wait ${what.wait}, -1 for ever (default: the container's --stop-timeout, or 10)`)
    .option('-s, --signal <signal>', `signal to send first${what.signal} (default: the container's StopSignal, or SIGTERM)`)
}

/** Both read and refused before any container is touched, as Docker's daemon refuses them. */
export async function readStopFlags(flags: StopFlags): Promise<{ timeout: number | undefined; signal: NodeJS.Signals | number | undefined }> {
  // pflag's int: a whole number; negative waits for ever, as Docker's daemon does
  if (flags.time !== undefined && !/^-?\d+$/.test(flags.time)) throw new FlagValueError(`invalid argument "${flags.time}" for "-t, --time" flag: strconv.ParseInt: parsing "${flags.time}": invalid syntax`)
  const { parseSignal } = await import('../runtime/spec/signals.js')
  return {
    timeout: flags.time === undefined ? undefined : Number(flags.time),
    signal: flags.signal === undefined ? undefined : parseSignal(flags.signal),
  }
}
