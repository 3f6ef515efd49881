import type { Command } from 'commander'
import { MiniRunError } from '../../errors.js'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  const healthcheck = program.command('healthcheck').description('health checks of containers')
  healthcheck
    .command('run')
    .description('run a container\'s health check now and record it; exit 0 healthy, 1 not (podman\'s)')
    .argument('<container>')
    .action(async (ref: string, _flags: unknown, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { runHealthCheckNow } = await import('../../runtime/health/health-runner.js')
      const c = findContainer(stateRoot, ref)
      if (c.status !== 'running') throw new MiniRunError(`container ${c.id.slice(0, 12)} is not running`, { code: 'ENOTRUNNING' })
      const done = await runHealthCheckNow(stateRoot, c.id)
      if (!done) throw new MiniRunError(`container ${c.id.slice(0, 12)} has no health check`, { code: 'ENOHEALTHCHECK' })
      process.stdout.write(`${done.health.Status}\n`)
      if (done.result.ExitCode !== 0) process.exitCode = 1
    })
}
