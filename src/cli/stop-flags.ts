import { Option, type Command } from 'commander'
import { UsageError } from '../errors.js'
import { FlagValueError } from './exit-codes.js'

export interface StopFlags {
  timeout?: string
  signal?: string
  /** The wait's flags as given, in order (set by stopOptions' listeners). */
  timeoutFlags?: string[]
}

/**
 * `-t, --timeout` and `-s`, as stop and restart take them (restart's stop is
 * stop's); `--time`, their old name, is docker/cli's deprecated flag: the
 * same value, hidden from --help. Which of them was given is kept for
 * readStopFlags, which answers as docker/cli does.
 */
export function stopOptions(command: Command, what: { wait: string; signal: string }): Command {
  const time = new Option('--time <seconds>', 'deprecated: --timeout').hideHelp()
  time.attributeName = () => 'timeout'
  const given = (flag: string) => () => command.setOptionValue('timeoutFlags', [...((command.getOptionValue('timeoutFlags') as string[] | undefined) ?? []), flag])
  return command
    .option('-t, --timeout <seconds>', `seconds to wait ${what.wait}, -1 for ever (default: the container's --stop-timeout, or 10)`)
    .addOption(time)
    .option('-s, --signal <signal>', `signal to send first${what.signal} (default: the container's StopSignal, or SIGTERM)`)
    .on('option:timeout', given('-t, --timeout'))
    .on('option:time', given('--time'))
}

/** Both read and refused before any container is touched, as Docker's daemon refuses them. */
export async function readStopFlags(flags: StopFlags): Promise<{ timeout: number | undefined; signal: NodeJS.Signals | number | undefined }> {
  const used = flags.timeoutFlags ?? []
  // pflag's int: a whole number; negative waits for ever, as Docker's daemon does (named as the flag that gave it)
  if (flags.timeout !== undefined && !/^-?\d+$/.test(flags.timeout)) {
    throw new FlagValueError(`invalid argument "${flags.timeout}" for "${used.at(-1) ?? '-t, --timeout'}" flag: strconv.ParseInt: parsing "${flags.timeout}": invalid syntax`)
  }
  // parsed, then pflag's line for the deprecated one (cobra prints it on stdout), then stop.go's check
  if (used.includes('--time')) process.stdout.write('Flag --time has been deprecated, use --timeout instead\n')
  if (used.includes('--time') && used.includes('-t, --timeout')) throw new UsageError('conflicting options: cannot specify both --timeout and --time')
  const { parseSignal } = await import('../runtime/spec/signals.js')
  return {
    timeout: flags.timeout === undefined ? undefined : Number(flags.timeout),
    signal: flags.signal === undefined ? undefined : parseSignal(flags.signal),
  }
}
