import type { Command } from 'commander'
import type { ContainerInfo } from '../../runtime/container/containers.js'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

interface ExportFlags {
  output?: string
}

export function register(program: Command): void {
  program
    .command('export')
    .description("write a container's filesystem (its image's layers with its writable layer over them) as a tar archive")
    .argument('<container>')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (ref: string, flags: ExportFlags, cmd: Command) => {
      const { UsageError } = await import('../../errors.js')
      const { findContainer } = await import('../../runtime/container/containers.js')
      if (flags.output === undefined && process.stdout.isTTY) {
        throw new UsageError('cowardly refusing to save to a terminal. Use the -o flag or redirect')
      }
      await exportTo(globalOptions(cmd).root ?? defaultStoreRoot(), findContainer(stateRootOf(cmd), ref), flags.output)
    })
}

/** A container's files as a tar archive to a file, or else to stdout (compose export's too). */
export async function exportTo(storeRoot: string, container: ContainerInfo, output: string | undefined): Promise<void> {
  const { openContainerLayer } = await import('../../writable-layer/container-layer.js')
  const { exportContainer } = await import('../../writable-layer/export-container.js')
  const { whileFrozen } = await import('../../writable-layer/while-frozen.js')
  const { writeOutputFile } = await import('../../output-file.js')
  const layer = openContainerLayer(container, storeRoot)
  // a running container is read frozen (writable-layer/while-frozen.ts)
  await whileFrozen(container, 'export', true, () =>
    output === undefined ? pipeline(Readable.from(exportContainer(layer)), process.stdout) : writeOutputFile(output, exportContainer(layer)),
  )
}
