/** `delete [--force] ID`: remove a stopped container (--force: kill it first). */
import type { Command } from 'commander'
import { deleteContainer } from '../../../oci/delete.js'
import { contextOf, warnAll } from '../context.js'

export function register(program: Command): void {
  program
    .command('delete')
    .description('delete a stopped container\'s cgroups and state')
    .argument('<id>', 'the container id')
    .option('-f, --force', 'kill a running container first; a missing one is no error')
    .action(async (id: string, o: { force?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd)
      warnAll(ctx, (await deleteContainer(ctx.root, id, o.force === true)).warnings)
    })
}
