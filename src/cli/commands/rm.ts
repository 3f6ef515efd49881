import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'
import { eachContainer } from './stop.js'

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove containers: writable layer, cgroup and state')
    .argument('<container...>')
    .option('-f, --force', 'kill a running container first')
    .action(async (refs: string[], flags: { force?: boolean }, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { removeContainer } = await import('../../runtime/container/remove-container.js')
      await eachContainer(refs, async (ref) => {
        await removeContainer(stateRoot, findContainer(stateRoot, ref), flags.force === true)
        process.stdout.write(`${ref}\n`)
      })
    })
}
