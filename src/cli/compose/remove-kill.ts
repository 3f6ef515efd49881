/** `compose rm`, `compose kill` and `compose port`: parse, call src/compose/, print. */
import type { Command } from 'commander'
import { MiniRunError, UsageError } from '../../errors.js'
import { contextFor, loadFor } from './context.js'

export async function rmCommand(services: string[], flags: { force?: boolean; stop?: boolean; volumes?: boolean }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services, { byName: true })
  const ctx = await contextFor(cmd)
  const { removable, removeServices } = await import('../../compose/remove-kill.js')
  const containers = removable(ctx, project, services, { stop: flags.stop === true })
  if (containers.length === 0) return void process.stderr.write('No stopped containers\n')
  // docker compose's words (cmd/compose/remove.go)
  const message = `Going to remove ${containers.map((c) => c.info.name).join(', ')}`
  if (flags.force) process.stdout.write(`${message}\n`)
  else {
    const { confirm } = await import('../confirm.js')
    if (!(await confirm(`${message}\nAre you sure? [y/N] `))) return
  }
  await removeServices(ctx, containers, { volumes: flags.volumes === true })
}

export async function killCommand(services: string[], flags: { signal?: string; removeOrphans?: boolean }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services, { byName: true })
  const ctx = await contextFor(cmd)
  const [{ killServices }, { parseSignal }] = await Promise.all([import('../../compose/remove-kill.js'), import('../../runtime/spec/signals.js')])
  await killServices(ctx, project, services, parseSignal(flags.signal ?? 'SIGKILL'), { removeOrphans: flags.removeOrphans === true })
}

/** `compose port SERVICE PORT`: where the service's container (--index, 1 first) publishes it. */
export async function portCommand(service: string, port: string, flags: { protocol?: string; index?: string }, cmd: Command): Promise<void> {
  const protocol = flags.protocol ?? 'tcp'
  if (!['tcp', 'udp'].includes(protocol)) throw new UsageError(`invalid --protocol "${protocol}": tcp or udp`)
  if (!/^\d+$/.test(port)) throw new UsageError(`invalid port "${port}": a port number`)
  const index = Number(flags.index ?? '1')
  if (!Number.isInteger(index) || index < 1) throw new UsageError(`invalid --index "${flags.index}": a number from 1`)
  const project = await loadFor(cmd, [service], { byName: true })
  const ctx = await contextFor(cmd)
  const [{ projectContainers }, { servicesWithContainers }, { portLines }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/service-scope.js'),
    import('../../network/index.js'),
  ])
  servicesWithContainers(project, [service])
  const c = projectContainers(ctx.stateRoot, project.name).find((x) => x.service === service && !x.oneoff && x.number === index)
  if (!c) throw Object.assign(new MiniRunError(`service "${service}" is not running container #${index}`), { exitCode: 1 })
  const key = `${port}/${protocol}`
  const lines = (c.info.status === 'running' ? portLines(c.info.network?.ports ?? []) : []).filter((l) => l.startsWith(`${key} -> `))
  if (lines.length === 0) throw Object.assign(new MiniRunError(`no port ${key} for container ${c.info.name}`), { exitCode: 1 })
  process.stdout.write(`${lines[0]!.slice(key.length + 4)}\n`)
}
