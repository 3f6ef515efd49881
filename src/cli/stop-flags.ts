import { Option, type Command } from 'commander'
import { FlagValueError } from './exit-codes.js'

export interface StopFlags {
  timeout?: string
  signal?: string
}

/**
 * `-t, --timeout` and `-s`, as stop and restart take them (restart's stop is
 * stop's); `--time`, their old name, is docker/cli's deprecated flag: the
 * same value (the last given counts, as pflag's one variable), said once.
 */
export function stopOptions(command: Command, what: { wait: string; signal: string }): Command {
  const time = new Option('--time <seconds>', 'deprecated: --timeout').hideHelp()
  time.attributeName = () => 'timeout'
  return command
    .option('-t, --timeout <seconds>', `seconds to wait ${what.wait}, -1 for ever (default: the container's --stop-timeout, or 10)`)
    .addOption(time)
    .option('-s, --signal <signal>', `signal to send first${what.signal} (default: the container's StopSignal, or SIGTERM)`)
    .on('option:time', () => process.stderr.write('Flag --time has been deprecated, use --timeout instead\n'))
}

/** Both read and refused before any container is touched, as Docker's daemon refuses them. */
export async function readStopFlags(flags: StopFlags): Promise<{ timeout: number | undefined; signal: NodeJS.Signals | number | undefined }> {
  // pflag's int: a whole number; negative waits for ever, as Docker's daemon does
  if (flags.timeout !== undefined && !/^-?\d+$/.test(flags.timeout)) throw new FlagValueError(`invalid argument "${flags.timeout}" for "-t, --timeout" flag: strconv.ParseInt: parsing "${flags.timeout}": invalid syntax`)
  const { parseSignal } = await import('../runtime/spec/signals.js')
  return {
    timeout: flags.timeout === undefined ? undefined : Number(flags.timeout),
    signal: flags.signal === undefined ? undefined : parseSignal(flags.signal),
  }
}
