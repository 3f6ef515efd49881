import type { Command } from 'commander'
import { eachContainer } from '../each-ref.js'
import { FlagValueError } from '../exit-codes.js'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  program
    .command('restart')
    .description('stop containers (if they run) and start them again')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait for the stop before killing, -1 for ever (default: the container\'s --stop-timeout, or 10)')
    .option('-s, --signal <signal>', 'signal to send first to stop it (default: the container\'s StopSignal, or SIGTERM)')
    .action(async (refs: string[], flags: { time?: string; signal?: string }, cmd: Command) => {
      const timeout = flags.time === undefined ? undefined : Number(flags.time)
      // pflag's int: a whole number; negative waits for ever, as Docker's daemon does
      if (timeout !== undefined && !/^-?\d+$/.test(flags.time!)) throw new FlagValueError(`invalid argument "${flags.time}" for "-t, --time" flag: strconv.ParseInt: parsing "${flags.time}": invalid syntax`)
      const { parseSignal } = await import('../../runtime/spec/signals.js')
      // refused before any container is touched, as Docker's daemon refuses it
      const signal = flags.signal === undefined ? undefined : parseSignal(flags.signal)
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { restartByUser } = await import('../../runtime/container/restart-by-user.js')
      await eachContainer(refs, async (ref) => {
        await restartByUser(stateRoot, findContainer(stateRoot, ref), timeout, signal)
        process.stdout.write(`${ref}\n`)
      })
    })
}
