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

export async function removeImages(cmd: Command, refs: string[], o: { force?: boolean } = {}): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { removeImage }, { describeError }, { familiarName }, { isDigest }, { imageUsers }, { defaultStateRoot }] = await Promise.all([
    import('../../image/store.js'),
    import('../../image/store-gc.js'),
    import('../../errors.js'),
    import('../../image/reference.js'),
    import('../../image/digest.js'),
    import('../../runtime/container/image-users.js'),
    import('../../paths.js'),
  ])
  const stateRoot = globalOptions(cmd).state ?? defaultStateRoot()
  const store = new ImageStore(root ? { root } : {})
  const { imageRemovalEvents } = await import('../../events/resource-events.js')
  let failed = false
  for (const ref of refs) {
    try {
      const imageId = (await store.resolve(ref).catch(() => undefined))?.configDigest
      // the containers are read under the store's GC lock (store-gc.ts): one made meanwhile counts
      const result = await removeImage(store, ref, { inUse: () => layersInUse(cmd), users: async () => imageUsers(stateRoot), force: o.force === true })
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
    .option('-f, --force', "remove an image a stopped container uses, or several names designate; untag a running container's (it stays as <none>)")
    .option('--no-prune', 'accepted for Docker compatibility (untagged parents are removed by image prune)')
    .action((refs: string[], flags: { force?: boolean }, cmd: Command) => removeImages(cmd, refs, flags))
}
