/** `compose logs`: every service's output, each line prefixed with its container (`web-1  | `). */
import type { Command } from 'commander'
import { once } from 'node:events'
import { UsageError } from '../../errors.js'
import { contextFor, loadFor } from './context.js'

export async function followLogs(stateRoot: string, project: string, services: readonly string[], o: { follow?: boolean; tail?: number; timestamps?: boolean; noPrefix?: boolean }): Promise<void> {
  const [{ projectContainers, shortName }, { projectLogs, LinePrefixer }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/project-logs.js'),
  ])
  const containers = projectContainers(stateRoot, project).filter((c) => !c.oneoff && (services.length === 0 || services.includes(c.service)))
  const names = new Map(containers.map((c) => [c.info.id, shortName(c, project)]))
  const prefixer = new LinePrefixer(Math.max(0, ...[...names.values()].map((n) => n.length)), process.stdout.isTTY === true && !process.env.NO_COLOR)
  await projectLogs(stateRoot, containers, {
    ...o,
    write: (c, stream, text) => {
      const out = stream === 'stderr' ? process.stderr : process.stdout
      const line = o.noPrefix ? text : prefixer.format(`${c.info.id}:${stream}`, names.get(c.info.id)!, text)
      if (!out.write(line)) return once(out, 'drain').then(() => undefined)
    },
  })
}

export async function logsCommand(services: string[], flags: { follow?: boolean; tail?: string; timestamps?: boolean; prefix?: boolean }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services)
  const { servicesWithContainers } = await import('../../compose/service-scope.js')
  servicesWithContainers(project, services)
  const ctx = await contextFor(cmd)
  const tail = flags.tail === undefined || flags.tail === 'all' ? undefined : Number(flags.tail)
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new UsageError(`invalid --tail "${flags.tail}"`)
  await followLogs(ctx.stateRoot, project.name, services, {
    follow: flags.follow === true,
    ...(tail !== undefined ? { tail } : {}),
    timestamps: flags.timestamps === true,
    noPrefix: flags.prefix === false,
  })
}
