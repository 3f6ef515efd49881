/**
 * `compose ps`: the project's containers as `ps` shows them ("Up 5 seconds
 * (healthy)"), with their service. `--format` as docker compose takes it
 * (table, `table TEMPLATE`, json, a template) over docker compose's fields:
 * `ps`'s (format/container-row.ts) and Name, Project, Service, Health and
 * ExitCode. `--status` keeps the containers in the states given.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { contextFor, loadFor } from './context.js'

/** docker compose's default table (cmd/formatter/container.go). */
const COMPOSE_PS_TABLE = '{{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}'
const STATES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited']

export interface ComposePsFlags {
  all?: boolean
  quiet?: boolean
  services?: boolean
  format?: string
  status?: string[]
}

export async function psCommand(services: string[], flags: ComposePsFlags, cmd: Command): Promise<void> {
  const statuses = flags.status ?? []
  const bad = statuses.find((s) => !STATES.includes(s))
  if (bad !== undefined) throw new UsageError(`invalid value for --status: ${JSON.stringify(bad)} (one of ${STATES.join(', ')})`)
  const project = await loadFor(cmd, services)
  const ctx = await contextFor(cmd)
  const [{ projectContainers }, { servicesWithContainers }, { containerRow, CONTAINER_HEADERS }, { formatList }, { dockerStatus }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/service-scope.js'),
    import('../format/container-row.js'),
    import('../format/format-list.js'),
    import('../../runtime/container/filter-containers.js'),
  ])
  const wanted = servicesWithContainers(project, services)
  // --status names the states it shows, stopped ones included, as -a would;
  // without either, what Docker's list without all shows: running, paused too
  const shown = (state: string) => (statuses.length > 0 ? statuses.includes(state) : flags.all || state === 'running' || state === 'paused' || state === 'restarting')
  const containers = projectContainers(ctx.stateRoot, project.name).filter((c) => wanted.has(c.service) && shown(dockerStatus(c.info)))
  if (flags.services) {
    for (const s of new Set(containers.map((c) => c.service))) process.stdout.write(`${s}\n`)
    return
  }
  if (flags.quiet) {
    for (const c of containers) process.stdout.write(`${c.info.id}\n`)
    return
  }
  const rows = containers.map(({ info, service }) => {
    const row = containerRow(info, { trunc: true })
    return Object.assign(row, {
      ExitCode: String(info.exitCode ?? 0),
      Health: info.health?.Status ?? '',
      Name: info.name,
      Project: project.name,
      Service: service,
    })
  })
  const headers = { ...CONTAINER_HEADERS, Name: 'NAME', Project: 'PROJECT', Service: 'SERVICE', Health: 'HEALTH', ExitCode: 'EXIT CODE' }
  const text = formatList(flags.format, rows, { defaultTable: COMPOSE_PS_TABLE, headers })
  // the default table as before: no trailing blanks (an empty PORTS column)
  process.stdout.write(flags.format === undefined ? text.split('\n').map((l) => l.trimEnd()).join('\n') : text)
}
