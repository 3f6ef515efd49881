import type { Command } from 'commander'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

interface SaveFlags {
  output?: string
}

export async function saveImages(cmd: Command, refs: string[], flags: SaveFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { saveArchive }, { UsageError }] = await Promise.all([
    import('../../image/store.js'),
    import('../../image/save-archive.js'),
    import('../../errors.js'),
  ])
  if (flags.output === undefined && process.stdout.isTTY) {
    throw new UsageError('cowardly refusing to save to a terminal: use -o FILE or redirect stdout')
  }
  // Docker's check, before anything is written (the archive is written beside it, then renamed)
  if (flags.output !== undefined) {
    const dir = dirname(resolve(flags.output))
    if (!existsSync(dir)) throw new UsageError(`invalid output path: directory ${JSON.stringify(dir)} does not exist`)
  }
  const store = new ImageStore(root ? { root } : {})
  await saveArchive(store, refs, flags.output ?? process.stdout)
  const { imageEvent } = await import('../../events/resource-events.js')
  for (const ref of refs) {
    const image = await store.resolve(ref).catch(() => undefined)
    if (image) imageEvent(stateRootOf(cmd), 'save', image.configDigest, ref)
  }
}

export function register(program: Command): void {
  program
    .command('save')
    .description('write images to a tar archive (docker save\'s format, with an OCI layout inside)')
    .argument('<image...>', 'names, repositories (all their tags) or image ids')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action((refs: string[], flags: SaveFlags, cmd: Command) => saveImages(cmd, refs, flags))
}
