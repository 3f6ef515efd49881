/** `compose logs`: every service's output, each line prefixed with its container (`web-1  | `). */
import type { Command } from 'commander'
import { once } from 'node:events'
import { UsageError } from '../../errors.js'
import type { ServiceContainer } from '../../compose/project-containers.js'
import type { LogFollowing } from '../../compose/project-logs.js'
import { contextFor, loadFor } from './context.js'
import { prefixColors } from './display.js'

export interface FollowOptions {
  follow?: boolean
  tail?: number
  timestamps?: boolean
  /** As projectLogs takes them (logTime). */
  since?: string
  until?: string
  noPrefix?: boolean
  /** --no-color: the prefixes uncoloured, even on a terminal. */
  noColor?: boolean
  /** Following: say each container's exit, as attached `up` does (`web-1 exited with code 0`). */
  sayExits?: boolean
  /** up --watch: its lines, formatted as the logs' prefixes are once they are known (its name counts in their width). */
  watchLine?: { format: (text: string) => string }
  /** With sayExits: a container's exit, once said, with its code. */
  onExit?: (c: ServiceContainer, code: number) => void
  /** Following: how to follow more containers (up --watch's rebuilds), and hold the followers meanwhile. */
  onFollowing?: (f: LogFollowing) => void
}

export async function followLogs(stateRoot: string, project: string, services: readonly string[], o: FollowOptions & { index?: number }): Promise<void> {
  const [{ projectContainers, shortName }, { projectLogs, LinePrefixer }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/project-logs.js'),
  ])
  const containers = projectContainers(stateRoot, project).filter((c) => !c.oneoff && (services.length === 0 || services.includes(c.service)) && (o.index === undefined || c.number === o.index))
  const names = new Map(containers.map((c) => [c.info.id, shortName(c, project)]))
  // Docker Compose's width: the longest name's length (its watch logger's "#watch" too) and one
  const widest = Math.max(0, ...[...names.values()].map((n) => n.length), ...(o.watchLine ? ['#watch'.length] : []))
  const prefixer = new LinePrefixer(widest + 1, prefixColors(o.noColor))
  if (o.watchLine && !o.noPrefix) o.watchLine.format = (text) => prefixer.watch(text)
  await projectLogs(stateRoot, containers, {
    ...o,
    write: (c, stream, text) => {
      const out = stream === 'stderr' ? process.stderr : process.stdout
      const line = o.noPrefix ? text : prefixer.format(`${c.info.id}:${stream}`, names.get(c.info.id)!, text)
      if (!out.write(line)) return once(out, 'drain').then(() => undefined)
    },
    ...(o.onFollowing ? { onFollowing: (f: LogFollowing) => o.onFollowing!({ hold: f.hold, add: (c, since) => { if (!c.oneoff && (services.length === 0 || services.includes(c.service))) { names.set(c.info.id, shortName(c, project)); f.add(c, since) } } }) } : {}),
    ...(o.sayExits ? { onEnd: async (c: ServiceContainer) => {
      const code = await sayExit(stateRoot, c, names.get(c.info.id)!)
      if (code !== undefined) o.onExit?.(c, code)
    } } : {}),
  })
}

/** docker compose's line for an attached container's exit (pkg/compose/printer.go), once its code is recorded. */
async function sayExit(stateRoot: string, c: ServiceContainer, name: string): Promise<number | undefined> {
  const { waitContainer } = await import('../../runtime/container/wait-container.js')
  let code: number
  try {
    code = await waitContainer(stateRoot, c.info)
  } catch {
    return // removed meanwhile, or its code never recorded: nothing to say
  }
  const line = `${name} exited with code ${code}\n`
  if (!process.stdout.write(line)) await once(process.stdout, 'drain')
  return code
}

export async function logsCommand(services: string[], flags: { follow?: boolean; tail?: string; timestamps?: boolean; prefix?: boolean; color?: boolean; since?: string; until?: string; index?: string }, cmd: Command): Promise<void> {
  // docker compose's --index: one replica of one service (cmd/compose/logs.go)
  const index = flags.index === undefined ? undefined : Number(flags.index)
  if (index !== undefined && !(/^\d+$/.test(flags.index!) && index >= 1)) throw new UsageError(`invalid --index "${flags.index}": a number from 1`)
  if (index !== undefined && services.length !== 1) throw new UsageError('--index requires one service to be selected')
  const project = await loadFor(cmd, services, { byName: true })
  const { servicesWithContainers } = await import('../../compose/service-scope.js')
  servicesWithContainers(project, services)
  const ctx = await contextFor(cmd)
  const tail = flags.tail === undefined || flags.tail === 'all' ? undefined : Number(flags.tail)
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new UsageError(`invalid --tail "${flags.tail}"`)
  // the forms `mini-run logs` takes (cli/log-time.ts), read the same way
  const { logBound } = await import('../log-time.js')
  const since = flags.since !== undefined ? logBound(flags.since, '--since') : undefined
  // `--until 0`: no bound, as Docker's daemon reads it (daemon/logs.go)
  const until = flags.until !== undefined && flags.until !== '0' ? logBound(flags.until, '--until') : undefined
  await followLogs(ctx.stateRoot, project.name, services, {
    follow: flags.follow === true,
    ...(tail !== undefined ? { tail } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    timestamps: flags.timestamps === true,
    noPrefix: flags.prefix === false,
    noColor: flags.color === false,
    ...(index !== undefined ? { index } : {}),
  })
}
