import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  program
    .command('ps')
    .description('list containers (running ones, or all with -a)')
    .option('-a, --all', 'show all containers, not only running ones')
    .option('-q, --quiet', 'only display container ids')
    .action(async (flags: { all?: boolean; quiet?: boolean }, cmd: Command) => {
      const { listContainers } = await import('../../runtime/container/containers.js')
      const { humanDuration, statusText } = await import('../format-status.js')
      const { formatPorts } = await import('../../network/port-spec.js')
      const all = listContainers(stateRootOf(cmd)).filter((c) => flags.all || c.status === 'running')
      if (flags.quiet) {
        for (const c of all) process.stdout.write(`${c.id.slice(0, 12)}\n`)
        return
      }
      const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']]
      for (const c of all) {
        const command = JSON.stringify(c.command.join(' ').slice(0, 20) + (c.command.join(' ').length > 20 ? '…' : ''))
        rows.push([c.id.slice(0, 12), c.image ?? '<rootfs>', command, `${humanDuration(c.created)} ago`, statusText(c), c.status === 'running' ? formatPorts(c.network?.ports ?? []) : '', c.name])
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
      for (const r of rows) process.stdout.write(r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]! + 3) : cell)).join('') + '\n')
    })
}
