import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  program
    .command('logs')
    .description('print a container\'s output (stdout and stderr kept apart)')
    .argument('<container>')
    .option('-f, --follow', 'follow the output until the container exits')
    .option('-n, --tail <n>', 'only the last n lines')
    .option('-t, --timestamps', 'show timestamps')
    .action(async (ref: string, flags: { follow?: boolean; tail?: string; timestamps?: boolean }, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer, inspectState, logFile } = await import('../../runtime/containers.js')
      const { readLogs } = await import('../../runtime/container-logs.js')
      const { readState } = await import('../../runtime/state.js')
      const c = findContainer(stateRoot, ref)
      const tail = flags.tail === undefined || flags.tail === 'all' ? undefined : Number(flags.tail)
      if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new UsageError(`invalid --tail "${flags.tail}"`)
      await readLogs(logFile(stateRoot, c.id), {
        ...(tail !== undefined ? { tail } : {}),
        timestamps: flags.timestamps === true,
        follow: flags.follow === true,
        running: () => {
          try {
            return inspectState(stateRoot, readState(stateRoot, c.id)).status === 'running'
          } catch {
            return false
          }
        },
        write: (stream, text) => (stream === 'stderr' ? process.stderr : process.stdout).write(text),
      })
    })
}
