/** `start ID`: release a created container's process to run its command. */
import type { Command } from 'commander'
import { startContainer } from '../../../oci/start.js'
import { contextOf, warnAll } from '../context.js'

export function register(program: Command): void {
  program
    .command('start')
    .description('start the command of a created container')
    .argument('<id>', 'the container id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd)
      warnAll(ctx, (await startContainer(ctx.root, id)).warnings)
    })
}
