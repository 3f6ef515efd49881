import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  program
    .command('port')
    .description('list a container\'s published ports, or where one of them is published')
    .argument('<container>')
    .argument('[port[/proto]]')
    .action(async (ref: string, which: string | undefined, _flags: unknown, cmd: Command) => {
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { portLines } = await import('../../network/index.js')
      const c = findContainer(stateRootOf(cmd), ref)
      let lines = c.status === 'running' ? portLines(c.network?.ports ?? []) : []
      if (which !== undefined) {
        const key = which.includes('/') ? which : `${which}/tcp`
        lines = lines.filter((l) => l.startsWith(`${key} -> `)).map((l) => l.slice(key.length + 4))
        if (lines.length === 0) {
          const { MiniRunError } = await import('../../errors.js')
          // Docker's CLI exits 1 here: an answer, not a failure of the runtime
          throw Object.assign(new MiniRunError(`no public port '${key}' published for ${ref}`), { exitCode: 1 })
        }
      }
      for (const l of lines) process.stdout.write(`${l}\n`)
    })
}
