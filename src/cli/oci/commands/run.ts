/** `run [--bundle DIR] [--detach] [--keep] [--pid-file F] [--console-socket S] ID`: create, start, wait, delete. */
import type { Command } from 'commander'
import { runOci } from '../../../oci/run.js'
import { checkPreserveFds } from './create.js'
import { contextOf, warnAll } from '../context.js'

export function register(program: Command): void {
  program
    .command('run')
    .description('create and start a container, and wait for it (--detach: do not wait)')
    .argument('<id>', 'the container id')
    .option('-b, --bundle <dir>', 'the bundle directory', '.')
    .option('--pid-file <file>', 'write the container process\'s pid here')
    .option('--console-socket <path>', 'a unix socket to send the pty master to')
    .option('-d, --detach', 'return once the container runs')
    .option('--keep', 'keep the container\'s state after it exits (delete it later)')
    .option('--no-pivot', 'accepted for runc compatibility')
    .option('--no-new-keyring', 'accepted for runc compatibility')
    .option('--preserve-fds <n>', 'only 0 is supported', '0')
    .action(async (id: string, o: { bundle: string; pidFile?: string; consoleSocket?: string; detach?: boolean; keep?: boolean; preserveFds: string }, cmd: Command) => {
      const ctx = contextOf(cmd)
      checkPreserveFds(o.preserveFds)
      const r = await runOci({
        root: ctx.root, id, bundle: o.bundle, detach: o.detach === true, keep: o.keep === true,
        ...(o.pidFile ? { pidFile: o.pidFile } : {}), ...(o.consoleSocket ? { consoleSocket: o.consoleSocket } : {}),
      })
      warnAll(ctx, r.warnings)
      if (r.exitCode !== undefined) process.exitCode = r.exitCode
    })
}
