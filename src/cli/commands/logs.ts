import type { Command } from 'commander'
import { once } from 'node:events'
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
      const { findContainer, inspectState, logFile, monitorAlive } = await import('../../runtime/container/containers.js')
      const { readLogs } = await import('../../runtime/container/container-logs.js')
      const { readState } = await import('../../runtime/container/state.js')
      const c = findContainer(stateRoot, ref)
      const tail = flags.tail === undefined || flags.tail === 'all' ? undefined : Number(flags.tail)
      if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new UsageError(`invalid --tail "${flags.tail}"`)
      await readLogs(logFile(stateRoot, c.id), {
        ...(tail !== undefined ? { tail } : {}),
        timestamps: flags.timestamps === true,
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
        // a pipe takes what its reader has read: wait for it rather than hold the whole log
        write: (stream, text) => {
          const out = stream === 'stderr' ? process.stderr : process.stdout
          if (!out.write(text)) return once(out, 'drain').then(() => undefined)
        },
      })
    })
}
