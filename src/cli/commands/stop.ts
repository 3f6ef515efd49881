import type { Command } from 'commander'
import { eachContainerAtOnce } from '../each-ref.js'
import { FlagValueError } from '../exit-codes.js'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  program
    .command('stop')
    .description('stop containers: their StopSignal (or SIGTERM), then SIGKILL to the whole cgroup after the timeout')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing, -1 for ever (default: the container\'s --stop-timeout, or 10)')
    .option('-s, --signal <signal>', 'signal to send first (default: the container\'s StopSignal, or SIGTERM)')
    .action(async (refs: string[], flags: { time?: string; signal?: string }, cmd: Command) => {
      const timeout = flags.time === undefined ? undefined : Number(flags.time)
      // pflag's int: a whole number; negative waits for ever, as Docker's daemon does
      if (timeout !== undefined && !/^-?\d+$/.test(flags.time!)) throw new FlagValueError(`invalid argument "${flags.time}" for "-t, --time" flag: strconv.ParseInt: parsing "${flags.time}": invalid syntax`)
      const { parseSignal } = await import('../../runtime/spec/signals.js')
      // refused before any container is touched, as Docker's daemon refuses it
      const signal = flags.signal === undefined ? undefined : parseSignal(flags.signal)
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { stopContainer } = await import('../../runtime/container/stop-container.js')
      await eachContainerAtOnce(refs, async (ref) => {
        await stopContainer(stateRoot, findContainer(stateRoot, ref), timeout, signal)
      }, { idOf: (ref) => findContainer(stateRoot, ref).id })
    })
}
