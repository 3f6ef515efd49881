import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

/** Verbs mini-run runs itself, not people: `internal cleanup ID` is a detached container's exit command. */
export function register(program: Command): void {
  const internal = program.command('internal', { hidden: true }).description('commands mini-run runs itself')
  internal
    .command('cleanup')
    .description('after a detached container exits: tear its network down, release its cgroup, remove it if --rm')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { cleanupContainer } = await import('../../runtime/container/cleanup-container.js')
      const { defaultStoreRoot } = await import('../../paths.js')
      await cleanupContainer(stateRootOf(cmd), id, globalOptions(cmd).root ?? defaultStoreRoot())
    })
  internal
    .command('health')
    .description('run a detached container\'s health checks until it exits (started with it)')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { runHealthMonitor } = await import('../../runtime/health/health-runner.js')
      await runHealthMonitor(stateRootOf(cmd), id)
    })
  internal
    .command('compose-exited')
    .description('after a compose container with a restart policy exits: clean up, then restart it if the policy says so')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const [{ containerExited }, { defaultStoreRoot }, { selfCommand }] = await Promise.all([
        import('../../compose/restart-policy.js'),
        import('../../paths.js'),
        import('../self-command.js'),
      ])
      const global = globalOptions(cmd)
      await containerExited({ storeRoot: global.root ?? defaultStoreRoot(), stateRoot: stateRootOf(cmd), selfCommand: selfCommand(global) }, id)
    })
}
