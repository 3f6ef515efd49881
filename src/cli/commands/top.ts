import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  program
    .command('top')
    .description('the running processes of a container (the host\'s ps, default -ef)')
    .usage('CONTAINER [ps OPTIONS]')
    .argument('<container>')
    .argument('[ps-options...]')
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (ref: string, psArgs: string[], _flags: unknown, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { topContainer } = await import('../../runtime/container/top-container.js')
      const { alignTabs } = await import('../format/tab-writer.js')
      const top = await topContainer(findContainer(stateRoot, ref), psArgs)
      process.stdout.write(alignTabs([top.titles, ...top.processes].map((row) => row.join('\t')).join('\n'), { minWidth: 20 }) + '\n')
    })
}
