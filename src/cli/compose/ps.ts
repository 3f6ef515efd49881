/**
 * `compose ps`: the project's containers as `ps` shows them ("Up 5 seconds
 * (healthy)"), with their service. `--format` as docker compose takes it
 * (table, `table TEMPLATE`, json, a template) over docker compose's fields:
 * `ps`'s (format/container-row.ts) and Name, Project, Service, Health,
 * ExitCode (a number) and Publishers (the ports, as objects). `--status`
 * keeps the containers in the states given.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import type { ContainerInfo } from '../../runtime/container/containers.js'
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

/** docker compose's ps Publishers (pkg/api PortPublisher), by target port: the published ports while running, then the exposed ones with none. */
export function publishers(info: Pick<ContainerInfo, 'status' | 'network'>): { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[] {
  const out = []
  const published = new Set<string>()
  for (const p of info.status === 'running' ? (info.network?.ports ?? []) : []) {
    for (let i = 0; i < p.range; i++) {
      out.push({ URL: p.hostIp || '0.0.0.0', TargetPort: p.containerPort + i, PublishedPort: p.hostPort + i, Protocol: p.protocol })
      published.add(`${p.containerPort + i}/${p.protocol}`)
    }
  }
  for (const key of info.network?.exposed ?? []) {
    const [port, protocol = 'tcp'] = key.split('/')
    if (!published.has(`${port}/${protocol}`)) out.push({ URL: '', TargetPort: Number(port), PublishedPort: 0, Protocol: protocol })
  }
  return out.sort((a, b) => a.TargetPort - b.TargetPort)
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
      ExitCode: info.exitCode ?? 0,
      Health: info.health?.Status ?? '',
      Name: info.name,
      Project: project.name,
      Service: service,
      Publishers: publishers(info),
    })
  })
  const headers = { ...CONTAINER_HEADERS, Name: 'NAME', Project: 'PROJECT', Service: 'SERVICE', Health: 'HEALTH', ExitCode: 'EXIT CODE' }
  const text = formatList(flags.format, rows, { defaultTable: COMPOSE_PS_TABLE, headers })
  // the default table as before: no trailing blanks (an empty PORTS column)
  process.stdout.write(flags.format === undefined ? text.split('\n').map((l) => l.trimEnd()).join('\n') : text)
}
