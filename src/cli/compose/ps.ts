/** `compose ps`: the project's containers, with their service and health ("Up 5 seconds (healthy)"). */
import type { Command } from 'commander'
import { contextFor, loadFor } from './context.js'

export async function psCommand(services: string[], flags: { all?: boolean; quiet?: boolean; services?: boolean }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd)
  const ctx = await contextFor(cmd)
  const [{ projectContainers }, { selectedServices }, { humanDuration, statusText }, { formatPorts }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/up.js'),
    import('../format-status.js'),
    import('../../network/port-spec.js'),
  ])
  const wanted = new Set(selectedServices(project, services))
  const containers = projectContainers(ctx.stateRoot, project.name).filter((c) => wanted.has(c.service) && (flags.all || c.info.status === 'running'))
  if (flags.services) {
    for (const s of new Set(containers.map((c) => c.service))) process.stdout.write(`${s}\n`)
    return
  }
  if (flags.quiet) {
    for (const c of containers) process.stdout.write(`${c.info.id}\n`)
    return
  }
  const rows = [['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS']]
  for (const { info: c, service } of containers) {
    const command = c.command.join(' ')
    rows.push([
      c.name,
      c.image ?? '',
      JSON.stringify(command.length > 20 ? `${command.slice(0, 20)}...` : command),
      service,
      `${humanDuration(c.created)} ago`,
      statusText(c),
      c.status === 'running' ? formatPorts(c.network?.ports ?? []) : '',
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const r of rows) process.stdout.write(r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]! + 3) : cell)).join('').trimEnd() + '\n')
}
