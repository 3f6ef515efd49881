import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

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

/**
 * Docker's conflict: without -f, an image that a container (running or
 * not) was made from is not untagged. With -f it is; its layers stay as
 * long as a container uses them, whatever the flag (layersInUse).
 */
async function usedBy(cmd: Command, configDigest: string): Promise<string | undefined> {
  const { state } = globalOptions(cmd)
  const [{ defaultStateRoot }, { listContainers }] = await Promise.all([import('../../paths.js'), import('../../runtime/container/containers.js')])
  return listContainers(state ?? defaultStateRoot()).find((c) => c.imageId === configDigest)?.id
}

export async function removeImages(cmd: Command, refs: string[], o: { force?: boolean } = {}): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { removeImage }, { describeError, MiniRunError }, { familiarName }, { isDigest }] = await Promise.all([
    import('../../image/store.js'),
    import('../../image/store-gc.js'),
    import('../../errors.js'),
    import('../../image/reference.js'),
    import('../../image/digest.js'),
  ])
  const store = new ImageStore(root ? { root } : {})
  const { imageRemovalEvents } = await import('../../events/resource-events.js')
  let failed = false
  for (const ref of refs) {
    try {
      const imageId = (await store.resolve(ref).catch(() => undefined))?.configDigest
      // the containers are read under the store's GC lock (store-gc.ts): one made meanwhile counts
      const result = await removeImage(store, ref, { inUse: () => layersInUse(cmd), force: o.force === true }).catch(async (err: unknown) => {
        if ((err as { code?: string }).code !== 'ECONFLICT') throw err
        // Docker's words, naming the container
        const image = await store.resolve(ref)
        const user = (await usedBy(cmd, image.configDigest)) ?? '?'
        throw new MiniRunError(
          `conflict: unable to remove repository reference "${ref}" (must force) - container ${user.slice(0, 12)} is using its referenced image ${image.configDigest.slice(7, 19)}`,
          { code: 'ECONFLICT', cause: err },
        )
      })
      // an untagged image's ref is named by its id: no name to untag, Docker says only Deleted
      for (const name of result.untagged) if (!isDigest(name)) process.stdout.write(`Untagged: ${familiarName(name)}\n`)
      for (const digest of result.deleted) process.stdout.write(`Deleted: ${digest}\n`)
      imageRemovalEvents(stateRootOf(cmd), result.untagged.map((name) => ({ name, configDigest: imageId ?? name })), result.deleted)
    } catch (err) {
      // like docker: report each failure and go on with the others
      process.stderr.write(`mini-run: ${describeError(err)}\n`)
      // -f of an image that is not there: said, but no failure (docker/cli image/remove.go)
      if (!(o.force && (err as { code?: string }).code === 'ENOIMAGE')) failed = true
    }
  }
  if (failed) process.exitCode = 1
}

export function register(program: Command): void {
  program
    .command('rmi')
    .description('remove images (untag them, then delete their unused layers)')
    .argument('<image...>', 'names, image ids or id prefixes')
    .option('-f, --force', 'untag an image that containers were made from (their layers stay while they do)')
    .option('--no-prune', 'accepted for Docker compatibility (untagged parents are removed by image prune)')
    .action((refs: string[], flags: { force?: boolean }, cmd: Command) => removeImages(cmd, refs, flags))
}
