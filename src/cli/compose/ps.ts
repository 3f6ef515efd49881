/** `compose ps`: the project's containers as `ps` shows them ("Up 5 seconds (healthy)"), with their service. */
import type { Command } from 'commander'
import { contextFor, loadFor } from './context.js'

export async function psCommand(services: string[], flags: { all?: boolean; quiet?: boolean; services?: boolean }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd)
  const ctx = await contextFor(cmd)
  const [{ projectContainers }, { selectedServices }, { containerRow }, { alignTabs }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/up.js'),
    import('../format/container-row.js'),
    import('../format/tab-writer.js'),
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
  // the fields `ps` shows (format/container-row.ts: its STATUS with the health), and the service
  const lines = ['NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS']
  for (const { info, service } of containers) {
    const row = containerRow(info, { trunc: true })
    lines.push([row.Names, row.Image, row.Command, service, row.RunningFor, row.Status, row.Ports].join('\t'))
  }
  process.stdout.write(alignTabs(lines.join('\n')).split('\n').map((l) => l.trimEnd()).join('\n') + '\n')
}
