import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { eachContainer } from '../each-ref.js'
import { stateRootOf } from '../state-root.js'
import { globalOptions } from '../global-options.js'
import { defaultStoreRoot } from '../../paths.js'
import type { ContainerInfo } from '../../runtime/container/containers.js'
import { writeStdout } from '../write-stdout.js'

interface StartFlags {
  attach?: boolean
  interactive?: boolean
  detachKeys?: string
  /** undefined: on */
  sigProxy?: boolean
}

/**
 * A container made with `create --rm` whose start fails goes, its anonymous
 * volumes with it, as Docker's daemon removes it (daemon/start.go: AutoRemove
 * after the failed start's cleanup): `docker run --rm` through the API
 * (system service) leaves nothing, as `run --rm` does.
 */
async function removedIfStartFails<T>(cmd: Command, c: ContainerInfo, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (err) {
    if (c.autoRemove && c.status === 'created') {
      // not forced: one that runs after all (started by another process meanwhile, or a failure after its start) stays
      const { removeContainer } = await import('../../runtime/container/remove-container.js')
      await removeContainer(stateRootOf(cmd), c, false, { storeRoot: globalOptions(cmd).root ?? defaultStoreRoot(), volumes: true }).catch(() => {})
    }
    throw err
  }
}

export function register(program: Command): void {
  program
    .command('start')
    .description('start created or stopped containers (under a monitor, as run -d does)')
    .argument('<container...>')
    .option('-a, --attach', 'attach to the container\'s output and exit with its exit code')
    .option('-i, --interactive', 'attach the container\'s stdin too')
    .option('--detach-keys <keys>', 'the key sequence that detaches (default ctrl-p,ctrl-q)')
    // podman's: Docker's start has no such flag, and always passes them on with -a to a container without a pty
    .option('--sig-proxy', 'with -a: pass the signals start receives on to the container, unless it has a pty (the default)')
    .option('--no-sig-proxy', 'with -a: do not pass signals on to the container')
    .action(async (refs: string[], flags: StartFlags, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { startExisting } = await import('../../runtime/container/start-existing.js')
      if (flags.attach || flags.interactive) {
        if (refs.length > 1) throw new UsageError('you cannot start and attach multiple containers at once')
        const { startAttached } = await import('../attach-session.js')
        const c = findContainer(stateRoot, refs[0]!)
        const sigProxy = flags.sigProxy !== false && c.spec?.process.terminal !== true
        process.exitCode = await removedIfStartFails(cmd, c, () => startAttached(stateRoot, c, { stdin: flags.interactive === true, sigProxy, ...(flags.detachKeys !== undefined ? { detachKeys: flags.detachKeys } : {}) }))
        return
      }
      await eachContainer(refs, async (ref) => {
        const c = findContainer(stateRoot, ref)
        await removedIfStartFails(cmd, c, () => startExisting(stateRoot, c))
        writeStdout(`${ref}\n`)
      })
    })
}
