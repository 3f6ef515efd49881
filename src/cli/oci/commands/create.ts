/** `create [--bundle DIR] [--pid-file F] [--console-socket S] ID`: the container waits, ready, until `start`. */
import type { Command } from 'commander'
import { UsageError } from '../../../errors.js'
import { createContainer, prepareOci } from '../../../oci/create.js'
import { formatPlan, planJson } from '../../../runtime/plan/explain.js'
import { contextOf, warnAll } from '../context.js'

export function register(program: Command): void {
  program
    .command('create')
    .description('create a container from a bundle: everything but the command, which waits for start')
    .argument('[id]', 'the container id')
    .option('-b, --bundle <dir>', 'the bundle directory', '.')
    .option('--pid-file <file>', 'write the container process\'s pid here (no newline)')
    .option('--console-socket <path>', 'a unix socket to send the pty master to (process.terminal)')
    .option('--no-pivot', 'accepted for runc compatibility: mini-run always uses pivot_root')
    .option('--no-new-keyring', 'accepted for runc compatibility: mini-run makes no session keyring')
    .option('--preserve-fds <n>', 'pass this many fds from 3 on to the container (only 0 is supported)', '0')
    .option('--explain [format]', 'print every step the create would take, with its reason (json for tools), and create nothing')
    .action(async (given: string | undefined, o: { bundle: string; pidFile?: string; consoleSocket?: string; preserveFds: string; explain?: string | boolean }, cmd: Command) => {
      const ctx = contextOf(cmd)
      // `create --explain ID`: commander hands the id to --explain's optional value; give it back
      if (given === undefined && typeof o.explain === 'string' && o.explain !== 'json' && o.explain !== 'text') {
        given = o.explain
        o.explain = true
      }
      if (given === undefined) throw new UsageError('create needs a container id')
      const id = given
      checkPreserveFds(o.preserveFds)
      if (o.explain !== undefined) {
        const { plan, warnings } = prepareOci({ root: ctx.root, id, bundle: o.bundle, gated: true, ...(o.consoleSocket ? { consoleSocket: o.consoleSocket } : {}) })
        warnAll(ctx, warnings)
        process.stdout.write(o.explain === 'json' ? planJson(plan) : formatPlan(plan, 'oci create'))
        return
      }
      ctx.log.debug(`create ${id} from ${o.bundle}`)
      const { warnings } = await createContainer({ root: ctx.root, id, bundle: o.bundle, ...(o.pidFile ? { pidFile: o.pidFile } : {}), ...(o.consoleSocket ? { consoleSocket: o.consoleSocket } : {}) })
      warnAll(ctx, warnings)
    })
}

export function checkPreserveFds(n: string): void {
  if (!/^\d+$/.test(n)) throw new UsageError(`invalid --preserve-fds ${JSON.stringify(n)}`)
  if (Number(n) !== 0) throw new UsageError('--preserve-fds is not supported by mini-run: the container gets fds 0-2 only')
}
