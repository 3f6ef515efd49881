import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'
import { eachContainer } from '../each-ref.js'

export function register(program: Command): void {
  program
    .command('wait')
    .description('block until containers stop, then print their exit codes')
    .argument('<container...>')
    .action(async (refs: string[], _flags: unknown, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { waitContainer } = await import('../../runtime/container/wait-container.js')
      await eachContainer(refs, async (ref) => {
        process.stdout.write(`${await waitContainer(stateRoot, findContainer(stateRoot, ref))}\n`)
      })
    })
}
