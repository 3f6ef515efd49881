/** `state ID`: the runtime spec's state JSON (runtime.md "State"), exactly its fields. */
import type { Command } from 'commander'
import { readRecord, runtimeState } from '../../../oci/oci-state.js'
import { contextOf } from '../context.js'

export function register(program: Command): void {
  program
    .command('state')
    .description('print the state of a container as JSON')
    .argument('<id>', 'the container id')
    .action((id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd)
      process.stdout.write(JSON.stringify(runtimeState(ctx.root, readRecord(ctx.root, id)), null, 2) + '\n')
    })
}
