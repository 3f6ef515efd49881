/**
 * Commands mini-run runs itself, not for users (hidden from --help): the
 * monitor's exit command for a restart policy.
 */
import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  const internal = program.command('internal', { hidden: true }).description('commands mini-run runs itself')
  internal
    .command('restart')
    .description('a container exited: carry out its restart policy (run by its monitor)')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { restartAfterExit } = await import('../../runtime/container/restart-container.js')
      await restartAfterExit(stateRootOf(cmd), id)
    })
}
