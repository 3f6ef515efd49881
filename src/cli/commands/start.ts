import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { eachContainer } from '../each-ref.js'
import { stateRootOf } from '../state-root.js'

interface StartFlags {
  attach?: boolean
  interactive?: boolean
  detachKeys?: string
}

export function register(program: Command): void {
  program
    .command('start')
    .description('start created or stopped containers (under a monitor, as run -d does)')
    .argument('<container...>')
    .option('-a, --attach', 'attach to the container\'s output and exit with its exit code')
    .option('-i, --interactive', 'attach the container\'s stdin too')
    .option('--detach-keys <keys>', 'the key sequence that detaches (default ctrl-p,ctrl-q)')
    .action(async (refs: string[], flags: StartFlags, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { startExisting } = await import('../../runtime/container/start-existing.js')
      if (flags.attach || flags.interactive) {
        if (refs.length > 1) throw new UsageError('you cannot start and attach multiple containers at once')
        const { startAttached } = await import('../attach-session.js')
        process.exitCode = await startAttached(stateRoot, findContainer(stateRoot, refs[0]!), { stdin: flags.interactive === true, ...(flags.detachKeys !== undefined ? { detachKeys: flags.detachKeys } : {}) })
        return
      }
      await eachContainer(refs, async (ref) => {
        await startExisting(stateRoot, findContainer(stateRoot, ref))
        process.stdout.write(`${ref}\n`)
      })
    })
}
