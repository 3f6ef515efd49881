import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

export async function tagImage(cmd: Command, source: string, target: string): Promise<void> {
  const { root } = globalOptions(cmd)
  const { ImageStore } = await import('../../image/store.js')
  const tagged = await new ImageStore(root ? { root } : {}).tag(source, target)
  const [{ imageEvent }, { familiarName }] = await Promise.all([import('../../events/resource-events.js'), import('../../image/reference.js')])
  imageEvent(stateRootOf(cmd), 'tag', tagged.configDigest, familiarName(tagged.name))
}

export function register(program: Command): void {
  program
    .command('tag')
    .description('give an image another name')
    .argument('<source>', 'SOURCE_IMAGE[:TAG], an image id or id prefix')
    .argument('<target>', 'TARGET_IMAGE[:TAG]')
    .action((source: string, target: string, _flags: unknown, cmd: Command) => tagImage(cmd, source, target))
}
