import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'

export async function tagImage(cmd: Command, source: string, target: string): Promise<void> {
  const { root } = globalOptions(cmd)
  const { ImageStore } = await import('../../image/store.js')
  await new ImageStore(root ? { root } : {}).tag(source, target)
}

export function register(program: Command): void {
  program
    .command('tag')
    .description('give an image another name')
    .argument('<source>', 'SOURCE_IMAGE[:TAG], an image id or id prefix')
    .argument('<target>', 'TARGET_IMAGE[:TAG]')
    .action((source: string, target: string, _flags: unknown, cmd: Command) => tagImage(cmd, source, target))
}
