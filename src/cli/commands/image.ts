import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { humanSize, listImages } from './images.js'
import { loadImages } from './load.js'
import { layersInUse, removeImages } from './rmi.js'

async function pruneImages(cmd: Command): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { pruneStore }] = await Promise.all([import('../../image/store.js'), import('../../image/store-gc.js')])
  const store = new ImageStore(root ? { root } : {})
  const result = await pruneStore(store, { inUse: () => layersInUse(cmd) })
  const lines = [
    ...result.untagged.map((n) => `untagged: ${n}`),
    ...result.deletedLayers.map((d) => `deleted: ${d}`),
    ...result.deletedBlobs.map((d) => `deleted: ${d}`),
  ]
  if (lines.length > 0) process.stdout.write(`Deleted Images:\n${lines.join('\n')}\n\n`)
  if (result.buildCacheEntries) process.stdout.write(`deleted build cache entries: ${result.buildCacheEntries}\n`)
  process.stdout.write(`Total reclaimed space: ${humanSize(result.reclaimedBytes)}\n`)
}

async function inspectImages(cmd: Command, refs: string[]): Promise<void> {
  const { root } = globalOptions(cmd)
  const { ImageStore } = await import('../../image/store.js')
  const store = new ImageStore(root ? { root } : {})
  const out = []
  for (const ref of refs) {
    const image = await store.resolve(ref)
    out.push({
      Id: image.configDigest,
      Name: image.name,
      ManifestDigest: image.manifestDigest,
      Created: image.config.created,
      Architecture: image.config.architecture,
      Os: image.config.os,
      Config: image.config.config ?? {},
      RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
      ChainIds: image.chainIds,
      LayerDirs: image.layerDirs,
    })
  }
  process.stdout.write(JSON.stringify(out, null, 4) + '\n')
}

export function register(program: Command): void {
  const image = program.command('image').description('manage images')
  image
    .command('ls')
    .alias('list')
    .description('list images')
    .argument('[repository]')
    .option('-q, --quiet', 'print image ids only')
    .option('--no-trunc', 'print full image ids')
    .action((repository: string | undefined, flags: { quiet?: boolean; trunc: boolean }, cmd: Command) =>
      listImages(cmd, repository, flags),
    )
  image
    .command('rm')
    .alias('remove')
    .description('remove images')
    .argument('<image...>')
    .option('-f, --force', 'untag an image even if containers were made from it (its layers stay while they use them)')
    .action((refs: string[], flags: { force?: boolean }, cmd: Command) => removeImages(cmd, refs, flags))
  image
    .command('prune')
    .description('remove untagged images, and layers and blobs that no image or container uses')
    .option('-f, --force', 'do not prompt (there is no prompt: accepted for docker compatibility)')
    .action((_flags: unknown, cmd: Command) => pruneImages(cmd))
  image
    .command('load')
    .description('load images from a docker save tar or an OCI layout')
    .option('-i, --input <file>', 'read from this file or directory instead of stdin')
    .option('-q, --quiet', 'suppress the load output')
    .option('--platform <os/arch[/variant]>', 'the platform to load from a multi-platform index')
    .action((flags: { input?: string; platform?: string }, cmd: Command) => loadImages(cmd, flags))
  image
    .command('inspect')
    .description('print what the store knows of images, as JSON')
    .argument('<image...>')
    .action((refs: string[], _flags: unknown, cmd: Command) => inspectImages(cmd, refs))
}
