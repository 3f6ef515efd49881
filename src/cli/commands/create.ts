import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { addRunFlags, runOptionsOf, type RunFlags } from '../run-flags.js'
import { checkCidFile, writeCidFile } from '../cid-file.js'
import { writeStdout } from '../write-stdout.js'

export function register(program: Command): void {
  addRunFlags(
    program
      .command('create')
      .description('create a container (its writable layer and volumes) without starting it; start runs it')
      .usage('[options] IMAGE [COMMAND] [ARG...]')
      .argument('[image-and-command...]')
      // docker create --rm: HostConfig.AutoRemove, the container goes when a later start's command exits
      .option('--rm', 'remove the container when it exits (after start)'),
  )
    .passThroughOptions()
    .action(async (positional: string[], flags: RunFlags, cmd: Command) => {
      if (flags.cidfile) checkCidFile(flags.cidfile)
      const { prepareContainer } = await import('../../runtime/container/prepare.js')
      const { createContainer } = await import('../../runtime/container/create-container.js')
      const prepared = await prepareContainer(runOptionsOf(positional, flags, globalOptions(cmd), 'create'))
      for (const warning of prepared.warnings) process.stderr.write(`mini-run: ${warning}\n`)
      await createContainer(prepared)
      if (flags.cidfile) writeCidFile(flags.cidfile, prepared.id)
      writeStdout(`${prepared.id}\n`)
    })
}
