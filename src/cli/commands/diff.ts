import type { Command } from 'commander'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { writeStdout } from '../write-stdout.js'

export function register(program: Command): void {
  program
    .command('diff')
    .description("list a container's changes to the image's files: its overlay's upper directory (A added, C changed, D deleted)")
    .argument('<container>')
    .action(async (ref: string, _flags: unknown, cmd: Command) => {
      const storeRoot = globalOptions(cmd).root ?? defaultStoreRoot()
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { openContainerLayer, readError } = await import('../../writable-layer/container-layer.js')
      const { containerChanges } = await import('../../writable-layer/container-changes.js')
      const layer = openContainerLayer(findContainer(stateRootOf(cmd), ref), storeRoot)
      let changes
      try {
        changes = containerChanges(layer)
      } catch (err) {
        throw readError(layer, err)
      }
      writeStdout(changes.map((c) => `${c.kind} ${c.path}\n`).join(''))
    })
}
