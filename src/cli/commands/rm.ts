import type { Command } from 'commander'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { eachContainerAtOnce } from '../each-ref.js'

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove containers: writable layer, cgroup and state')
    .argument('<container...>')
    .option('-f, --force', 'kill a running container first')
    .option('-v, --volumes', 'remove its anonymous volumes too')
    .option('-l, --link', 'remove the legacy link each argument names (/CONTAINER/ALIAS), not a container')
    .action(async (refs: string[], flags: { force?: boolean; volumes?: boolean; link?: boolean }, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const storeRoot = globalOptions(cmd).root ?? defaultStoreRoot()
      const { findContainer } = await import('../../runtime/container/containers.js')
      if (flags.link) {
        // Docker's daemon returns before removing anything when asked for links (containerRm); its CLI's -f lets a missing one be
        const { removeLink } = await import('../../runtime/container/remove-link.js')
        const parentOf = (ref: string) => findContainer(stateRoot, ref.replace(/^\/+/, '').split('/')[0]!).id
        return eachContainerAtOnce(refs, async (ref) => removeLink(stateRoot, ref), { idOf: parentOf, missingIsFine: flags.force === true })
      }
      const { removeContainer } = await import('../../runtime/container/remove-container.js')
      await eachContainerAtOnce(refs, async (ref) => {
        await removeContainer(stateRoot, findContainer(stateRoot, ref), flags.force === true, { storeRoot, volumes: flags.volumes === true })
      }, { missingIsFine: flags.force === true, idOf: (ref) => findContainer(stateRoot, ref).id })
    })
}
