import type { Command } from 'commander'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { globalOptions } from '../global-options.js'

/**
 * Chain ids that containers in the state root use, so that neither rmi nor
 * prune deletes a layer under a container. A state records the image it
 * was created from; its layers are those the image resolves to now.
 */
export async function layersInUse(cmd: Command): Promise<Set<string>> {
  const { root, state } = globalOptions(cmd)
  const [{ defaultStateRoot }, { ImageStore }] = await Promise.all([
    import('../../runtime/paths.js'),
    import('../../image/store.js'),
  ])
  const stateRoot = state ?? defaultStateRoot()
  const store = new ImageStore(root ? { root } : {})
  const inUse = new Set<string>()
  for (const id of await readdir(stateRoot).catch(() => [] as string[])) {
    let record: { image?: string; chainIds?: string[] }
    try {
      record = JSON.parse(await readFile(join(stateRoot, id, 'state.json'), 'utf8')) as typeof record
    } catch {
      continue // names/, or a container being removed
    }
    if (Array.isArray(record.chainIds)) for (const c of record.chainIds) inUse.add(c)
    else if (record.image) {
      const image = await store.resolve(record.image).catch(() => undefined)
      for (const c of image?.chainIds ?? []) inUse.add(c)
    }
  }
  return inUse
}

export async function removeImages(cmd: Command, refs: string[]): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { describeError }] = await Promise.all([import('../../image/store.js'), import('../../errors.js')])
  const store = new ImageStore(root ? { root } : {})
  const inUse = await layersInUse(cmd)
  let failed = false
  for (const ref of refs) {
    try {
      const result = await store.remove(ref, { inUse })
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
    .action((refs: string[], _flags: unknown, cmd: Command) => removeImages(cmd, refs))
}
