import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  program
    .command('rename')
    .description('rename a container')
    .argument('<container>')
    .argument('<new-name>')
    .action(async (ref: string, newName: string, _flags: unknown, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { renameContainer } = await import('../../runtime/container/rename-container.js')
      renameContainer(stateRoot, findContainer(stateRoot, ref), newName)
    })
}
