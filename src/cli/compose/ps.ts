/**
 * `compose ps`: the project's containers as `ps` shows them ("Up 5 seconds
 * (healthy)"), with their service. `--format` as docker compose takes it
 * (table, `table TEMPLATE`, json, a template) over docker compose's fields:
 * `ps`'s (format/container-row.ts) and Name, Project, Service, Health,
 * ExitCode (a number) and Publishers (the ports, as objects). `--status`
 * (and `--filter status=X`, its other spelling) keeps the containers in the
 * states given. With no service named, the containers of services the file
 * no longer has (orphans) are listed too, as docker compose lists them
 * unless `--orphans=false`, which keeps to the services the file enables.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { parseBoolValue } from '../../go-bool.js'
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
  filter?: string
  /** --orphans[=BOOL], as given: default true. */
  orphans?: string | boolean
  /** The command and ids whole. */
  noTrunc?: boolean
}

/** A Go bool flag's value (strconv.ParseBool). */
function goBool(value: string | boolean | undefined, flag: string): boolean {
  if (value === undefined || value === true) return true
  const parsed = parseBoolValue(String(value))
  if (parsed !== undefined) return parsed
  throw new UsageError(`invalid argument "${String(value)}" for "${flag}" flag: strconv.ParseBool: parsing "${String(value)}": invalid syntax`)
}

/** --filter KEY=VALUE: docker compose's ps has one key, status, another way to give --status. */
function filterStatus(filter: string | undefined): string[] {
  if (filter === undefined) return []
  const eq = filter.indexOf('=')
  if (eq < 0) throw new UsageError('arguments to --filter should be in form KEY=VAL')
  const key = filter.slice(0, eq)
  if (key !== 'status') throw new UsageError(`unsupported filter ${key}`)
  return [filter.slice(eq + 1)]
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
  const statuses = [...(flags.status ?? []), ...filterStatus(flags.filter)]
  const orphans = goBool(flags.orphans, '--orphans')
  const bad = statuses.find((s) => !STATES.includes(s))
  if (bad !== undefined) throw new UsageError(`invalid value for --status: ${JSON.stringify(bad)} (one of ${STATES.join(', ')})`)
  const project = await loadFor(cmd, services, { byName: true })
  const ctx = await contextFor(cmd)
  const [{ projectContainers }, { servicesWithContainers }, { containerRow, CONTAINER_HEADERS }, { formatList }, { dockerStatus }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/service-scope.js'),
    import('../format/container-row.js'),
    import('../format/format-list.js'),
    import('../../runtime/container/filter-containers.js'),
  ])
  const wanted = orphans ? servicesWithContainers(project, services) : new Set(services.length ? services : Object.keys(project.services))
  // --status names the states it shows, stopped ones included, as -a would;
  // without either, what Docker's list without all shows: running, paused too
  const shown = (state: string) => (statuses.length > 0 ? statuses.includes(state) : flags.all || state === 'running' || state === 'paused' || state === 'restarting')
  // an orphan is in no service the file has: listed when no service is named
  const orphan = (service: string) => orphans && services.length === 0 && !project.services[service] && !project.disabledServices.includes(service)
  // one-off (run) containers only with -a or --status, as docker compose's ps (OneoffInclude when All)
  const oneoffs = flags.all === true || statuses.length > 0
  const containers = projectContainers(ctx.stateRoot, project.name).filter((c) => (wanted.has(c.service) || orphan(c.service)) && (oneoffs || !c.oneoff) && shown(dockerStatus(c.info)))
  if (flags.services) {
    for (const s of new Set(containers.map((c) => c.service))) process.stdout.write(`${s}\n`)
    return
  }
  if (flags.quiet) {
    for (const c of containers) process.stdout.write(`${c.info.id}\n`)
    return
  }
  const rows = containers.map(({ info, service }) => {
    const row = containerRow(info, { trunc: flags.noTrunc !== true })
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
