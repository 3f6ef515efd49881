import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { register as registerBuild } from './build.js'
import { humanSize, addImagesFlags, listImages } from './images.js'
import { addInspectFlags, inspectObjects } from './inspect.js'
import { register as registerPull } from './pull.js'
import { loadImages } from './load.js'
import { layersInUse, removeImages } from './rmi.js'

async function pruneImages(cmd: Command): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { pruneStore }] = await Promise.all([import('../../image/store.js'), import('../../image/store-gc.js')])
  const store = new ImageStore(root ? { root } : {})
  const result = await pruneStore(store, { inUse: await layersInUse(cmd) })
  const lines = [
    ...result.untagged.map((n) => `untagged: ${n}`),
    ...result.deletedLayers.map((d) => `deleted: ${d}`),
    ...result.deletedBlobs.map((d) => `deleted: ${d}`),
  ]
  if (lines.length > 0) process.stdout.write(`Deleted Images:\n${lines.join('\n')}\n\n`)
  if (result.buildCacheEntries) process.stdout.write(`deleted build cache entries: ${result.buildCacheEntries}\n`)
  process.stdout.write(`Total reclaimed space: ${humanSize(result.reclaimedBytes)}\n`)
}

export function register(program: Command): void {
  const image = program.command('image').description('manage images')
  addImagesFlags(image.command('ls').aliases(['list', 'images']).description('list images')).action(
    (repository: string | undefined, flags: Parameters<typeof listImages>[2], cmd: Command) => listImages(cmd, repository, flags),
  )
  registerPull(image)
  registerBuild(image)
  image
    .command('rm')
    .alias('remove')
    .description('remove images')
    .argument('<image...>')
    .option('-f, --force', 'untag an image that containers were made from (their layers stay while they do)')
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
  addInspectFlags(image.command('inspect').description('print what the store knows of images, as JSON').argument('<image...>')).action(
    (refs: string[], flags: { format?: string }, cmd: Command) => inspectObjects(cmd, refs, flags, 'image'),
  )
}
