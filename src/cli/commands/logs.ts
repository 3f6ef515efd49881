import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { stateRootOf } from '../state-root.js'
import { writeDrained } from '../write-stdout.js'

export function register(program: Command): void {
  program
    .command('logs')
    .description('print a container\'s output (stdout and stderr kept apart)')
    .argument('<container>')
    .option('-f, --follow', 'follow the output until the container exits')
    .option('-n, --tail <n>', 'only the last n lines')
    .option('-t, --timestamps', 'show timestamps')
    .option('--details', 'show the extra attributes each line was logged with (mini-run records none: a leading space, as Docker\'s)')
    .option('--since <time>', 'only lines logged since this time (RFC 3339, a Unix timestamp, or a duration before now: 10m, 1h30m)')
    .option('--until <time>', 'only lines logged before this time (the same forms)')
    .action(async (ref: string, flags: { follow?: boolean; tail?: string; timestamps?: boolean; details?: boolean; since?: string; until?: string }, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer, inspectState, monitorAlive } = await import('../../runtime/container/containers.js')
      const { keptLog } = await import('../../runtime/container/container-log-kept.js')
      const { readLogs } = await import('../../runtime/container/container-logs.js')
      const { readState } = await import('../../runtime/container/state.js')
      const c = findContainer(stateRoot, ref)
      // all, or a negative number: every line (Docker's rule)
      const n = flags.tail === undefined || flags.tail === 'all' ? undefined : Number(flags.tail)
      if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`invalid --tail "${flags.tail}"`)
      const tail = n !== undefined && n >= 0 ? n : undefined
      const { logBound } = await import('../log-time.js')
      const since = flags.since !== undefined ? logBound(flags.since, '--since') : undefined
      // Docker's daemon reads `--until 0` as no bound at all (daemon/logs.go), not the epoch
      const until = flags.until !== undefined && flags.until !== '0' ? logBound(flags.until, '--until') : undefined
      await readLogs(keptLog(stateRoot, c), {
        ...(tail !== undefined ? { tail } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        timestamps: flags.timestamps === true,
        details: flags.details === true,
        follow: flags.follow === true,
        // the monitor logs the container's last output after it exits
        running: () => {
          try {
            const state = readState(stateRoot, c.id)
            return inspectState(stateRoot, state).status === 'running' || monitorAlive(state)
          } catch {
            return false
          }
        },
        write: (stream, text) => writeDrained(stream === 'stderr' ? process.stderr : process.stdout, text),
      })
    })
}
