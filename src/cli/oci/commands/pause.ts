/** `pause ID`, `resume ID`: freeze and thaw every process of the container. */
import type { Command } from 'commander'
import { pauseContainer, resumeContainer } from '../../../oci/pause.js'
import { contextOf } from '../context.js'

export function register(program: Command): void {
  program
    .command('pause')
    .description('freeze every process of the container')
    .argument('<id>', 'the container id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd)
      await pauseContainer(ctx.root, id)
    })
  program
    .command('resume')
    .description('thaw a paused container')
    .argument('<id>', 'the container id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd)
      await resumeContainer(ctx.root, id)
    })
}
