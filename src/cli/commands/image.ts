import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { register as registerBuild } from './build.js'
import { addImagesFlags, listImages } from './images.js'
import { humanSize } from '../format/units.js'
import { addInspectFlags, inspectObjects } from './inspect.js'
import { register as registerPull } from './pull.js'
import { loadImages } from './load.js'
import { register as registerImport } from './import.js'
import { removeImages } from './rmi.js'
import { addHistoryFlags, showHistory } from './history.js'
import { pushImages } from './push.js'
import { saveImages } from './save.js'
import { tagImage } from './tag.js'

async function pruneImages(cmd: Command, flags: { all?: boolean; filter: string[] }): Promise<void> {
  const { root, state } = globalOptions(cmd)
  const { parsePruneFilter, pruneAllImages, withConfigPruneFilters } = await import('../prune-filter-flags.js')
  const filter = parsePruneFilter(withConfigPruneFilters(flags.filter), ['until', 'label', 'label!', 'dangling'])
  const all = pruneAllImages(flags.all === true, filter)
  const [{ ImageStore }, { pruneImages: prune }, { defaultStateRoot }] = await Promise.all([
    import('../../image/store.js'),
    import('../../system/image-resource.js'),
    import('../../paths.js'),
  ])
  const store = new ImageStore(root ? { root } : {})
  const result = await prune({ store, stateRoot: state ?? defaultStateRoot() }, { all, ...(filter && { filter }) })
  if (result.removed.length > 0) process.stdout.write(`Deleted Images:\n${result.removed.join('\n')}\n\n`)
  process.stdout.write(`Total reclaimed space: ${humanSize(result.reclaimedBytes)}\n`)
}

export function register(program: Command): void {
  const image = program.command('image').description('manage images')
  addImagesFlags(image.command('ls').aliases(['list', 'images']).description('list images')).action(
    (repository: string | undefined, flags: Parameters<typeof listImages>[2], cmd: Command) => listImages(cmd, repository, flags),
  )
  registerPull(image)
  registerBuild(image)
  registerImport(image)
  image
    .command('rm')
    .alias('remove')
    .description('remove images')
    .argument('<image...>')
    .option('-f, --force', 'untag an image that containers were made from (their layers stay while they do)')
    .action((refs: string[], flags: { force?: boolean }, cmd: Command) => removeImages(cmd, refs, flags))
  image
    .command('prune')
    .description('remove untagged images, and layers and blobs that no image, container or build cache step uses (builder prune removes the cache)')
    .option('-a, --all', 'remove every image no container uses, not only untagged ones')
    .option('-f, --force', 'do not prompt (there is no prompt: accepted for docker compatibility)')
    .option('--filter <key=value>', 'only images with: until=TIME (created before; a time or a duration before now), label=KEY[=VALUE], label!=KEY[=VALUE] (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action((flags: { all?: boolean; filter: string[] }, cmd: Command) => pruneImages(cmd, flags))
  image
    .command('load')
    .description('load images from a docker save tar or an OCI layout')
    .option('-i, --input <file>', 'read from this file or directory instead of stdin')
    .option('-q, --quiet', 'suppress the load output')
    .option('--platform <os/arch[/variant]>', 'the platform to load from a multi-platform index')
    .action((flags: { input?: string; platform?: string }, cmd: Command) => loadImages(cmd, flags))
  image
    .command('tag')
    .description('give an image another name')
    .argument('<source>')
    .argument('<target>')
    .action((source: string, target: string, _flags: unknown, cmd: Command) => tagImage(cmd, source, target))
  image
    .command('push')
    .description('upload an image to a registry')
    .argument('<image>')
    .option('-a, --all-tags', 'push every tag of the repository')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('-q, --quiet', 'print only the pushed name')
    .action((ref: string, flags: { insecureRegistry: string[] }, cmd: Command) => pushImages(cmd, ref, flags))
  image
    .command('save')
    .description('write images to a tar archive')
    .argument('<image...>')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action((refs: string[], flags: { output?: string }, cmd: Command) => saveImages(cmd, refs, flags))
  addHistoryFlags(image.command('history').description('show the steps that made an image')).action(
    (ref: string, flags: Parameters<typeof showHistory>[2], cmd: Command) => showHistory(cmd, ref, flags),
  )
  addInspectFlags(image.command('inspect').description('print what the store knows of images, as JSON').argument('<image...>')).action(
    (refs: string[], flags: { format?: string }, cmd: Command) => inspectObjects(cmd, refs, flags, 'image'),
  )
}
