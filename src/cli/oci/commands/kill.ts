/** `kill [--all] ID [SIGNAL]`: SIGTERM by default; names (KILL, SIGKILL) or numbers. */
import type { Command } from 'commander'
import { killContainer } from '../../../oci/kill.js'
import { parseOciSignal } from '../../../oci/signals.js'
import { contextOf } from '../context.js'

export function register(program: Command): void {
  program
    .command('kill')
    .description('send a signal to the container\'s process (--all: to every process of its cgroup)')
    .argument('<id>', 'the container id')
    .argument('[signal]', 'the signal', 'SIGTERM')
    .option('-a, --all', 'signal every process of the container')
    .action((id: string, signal: string, o: { all?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd)
      killContainer(ctx.root, id, parseOciSignal(signal), o.all === true)
    })
}
