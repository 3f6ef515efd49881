import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'
import { eachContainerAtOnce } from '../each-ref.js'

export function register(program: Command): void {
  program
    .command('kill')
    .description('send a signal to containers (SIGKILL: every process of the container)')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'signal to send', 'SIGKILL')
    .action(async (refs: string[], flags: { signal: string }, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { killContainer } = await import('../../runtime/container/stop-container.js')
      const { parseSignal } = await import('../../runtime/spec/signals.js')
      const signal = parseSignal(flags.signal)
      await eachContainerAtOnce(refs, async (ref) => {
        await killContainer(stateRoot, findContainer(stateRoot, ref), signal)
      }, { idOf: (ref) => findContainer(stateRoot, ref).id })
    })
}
