import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  program
    .command('inspect')
    .description('print containers\' state and configuration as JSON')
    .argument('<container...>')
    .action(async (refs: string[], _flags: unknown, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { inspectJson } = await import('../inspect-json.js')
      const out = refs.map((ref) => inspectJson(findContainer(stateRoot, ref)))
      process.stdout.write(JSON.stringify(out, null, 4) + '\n')
    })
}
