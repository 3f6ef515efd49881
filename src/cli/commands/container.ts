import type { Command } from 'commander'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  const container = program.command('container').description('manage containers')
  container
    .command('prune')
    .description('remove all stopped containers')
    .option('-f, --force', 'do not prompt (accepted for Docker compatibility)')
    .action(async (_flags: unknown, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { pruneContainers } = await import('../../system/container-resource.js')
      const { removed } = await pruneContainers(stateRoot)
      if (removed.length) process.stdout.write(`Deleted Containers:\n${removed.map((id) => `${id}\n`).join('')}`)
      process.stdout.write(`\nTotal reclaimed space: ${removed.length} container${removed.length === 1 ? '' : 's'}\n`)
    })
}
