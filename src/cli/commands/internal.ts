import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

/**
 * Verbs mini-run runs itself, not people (hidden from --help): `internal
 * cleanup ID` is a detached container's exit command, `internal exec-exit
 * ID EXEC` a detached exec's, `internal health ID` the health runner of one
 * with a health check.
 */
export function register(program: Command): void {
  const internal = program.command('internal', { hidden: true }).description('commands mini-run runs itself')
  internal
    .command('cleanup')
    .description('after a detached container exits: tear its network down, then remove it (--rm), restart it (--restart) or release its cgroup')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { cleanupContainer } = await import('../../runtime/container/cleanup-container.js')
      const { defaultStoreRoot } = await import('../../paths.js')
      await cleanupContainer(stateRootOf(cmd), id, globalOptions(cmd).root ?? defaultStoreRoot())
    })
  internal
    .command('exec-exit')
    .description('after a detached exec ends: its exec_die event, with the exit code its monitor wrote (exec-records.ts)')
    .argument('<container>')
    .argument('<exec-id>')
    .action(async (container: string, execId: string) => {
      const { execDied } = await import('../../runtime/container/exec-records.js')
      execDied(stateRootOf(internal), container, execId)
    })
  internal
    .command('health')
    .description('run a detached container\'s health checks until it exits (started with it)')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { runHealthMonitor } = await import('../../runtime/health/health-runner.js')
      await runHealthMonitor(stateRootOf(cmd), id)
    })
}
