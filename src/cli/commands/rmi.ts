import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'

/** Chain ids that containers in the state root use (see layersInUse). */
export async function layersInUse(cmd: Command): Promise<Set<string>> {
  const { root, state } = globalOptions(cmd)
  const [{ defaultStateRoot }, { ImageStore }, { layersInUse: inUse }] = await Promise.all([
    import('../../paths.js'),
    import('../../image/store.js'),
    import('../../runtime/container/containers.js'),
  ])
  const store = new ImageStore(root ? { root } : {})
  return inUse(state ?? defaultStateRoot(), (ref) => store.resolve(ref))
}

export async function removeImages(cmd: Command, refs: string[], flags: { force?: boolean } = {}): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { removeImage }, { describeError }] = await Promise.all([
    import('../../image/store.js'),
    import('../../image/store-gc.js'),
    import('../../errors.js'),
  ])
  const store = new ImageStore(root ? { root } : {})
  let failed = false
  for (const ref of refs) {
    try {
      // read under the store's GC lock (store-gc.ts)
      const result = await removeImage(store, ref, { inUse: () => layersInUse(cmd), force: flags.force === true })
      for (const name of result.untagged) process.stdout.write(`Untagged: ${name}\n`)
      for (const digest of result.deleted) process.stdout.write(`Deleted: ${digest}\n`)
    } catch (err) {
      // like docker: report each failure and go on with the others
      process.stderr.write(`mini-run: ${describeError(err)}\n`)
      failed = true
    }
  }
  if (failed) process.exitCode = 1
}

export function register(program: Command): void {
  program
    .command('rmi')
    .description('remove images (untag them, then delete their unused layers)')
    .argument('<image...>', 'names, image ids or id prefixes')
    .option('-f, --force', 'untag an image even if containers were made from it (its layers stay while they use them)')
    .action((refs: string[], flags: { force?: boolean }, cmd: Command) => removeImages(cmd, refs, flags))
}
