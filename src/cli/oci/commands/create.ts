/** `create [--bundle DIR] [--pid-file F] [--console-socket S] ID`: the container waits, ready, until `start`. */
import type { Command } from 'commander'
import { UsageError } from '../../../errors.js'
import { createContainer } from '../../../oci/create.js'
import { contextOf, warnAll } from '../context.js'

export function register(program: Command): void {
  program
    .command('create')
    .description('create a container from a bundle: everything but the command, which waits for start')
    .argument('<id>', 'the container id')
    .option('-b, --bundle <dir>', 'the bundle directory', '.')
    .option('--pid-file <file>', 'write the container process\'s pid here (no newline)')
    .option('--console-socket <path>', 'a unix socket to send the pty master to (process.terminal)')
    .option('--no-pivot', 'accepted for runc compatibility: mini-run always uses pivot_root')
    .option('--no-new-keyring', 'accepted for runc compatibility: mini-run makes no session keyring')
    .option('--preserve-fds <n>', 'pass this many fds from 3 on to the container (only 0 is supported)', '0')
    .action(async (id: string, o: { bundle: string; pidFile?: string; consoleSocket?: string; preserveFds: string }, cmd: Command) => {
      const ctx = contextOf(cmd)
      checkPreserveFds(o.preserveFds)
      const { warnings } = await createContainer({ root: ctx.root, id, bundle: o.bundle, ...(o.pidFile ? { pidFile: o.pidFile } : {}), ...(o.consoleSocket ? { consoleSocket: o.consoleSocket } : {}) })
      warnAll(ctx, warnings)
    })
}

export function checkPreserveFds(n: string): void {
  if (!/^\d+$/.test(n)) throw new UsageError(`invalid --preserve-fds ${JSON.stringify(n)}`)
  if (Number(n) !== 0) throw new UsageError('--preserve-fds is not supported by mini-run: the container gets fds 0-2 only')
}
