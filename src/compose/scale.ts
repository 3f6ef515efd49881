/**
 * `compose scale SERVICE=N...` (and `up --scale`): the project with those
 * services' replicas set, then `up` on them alone, as docker compose's
 * scale is its create and start on the services named (cmd/compose/scale.go):
 * containers added up to N, those numbered above N removed, the others and
 * the services not named left as they are. The number of replicas is not
 * part of a container's config hash (config-hash.ts), so no container is
 * replaced for it.
 */
import { UsageError } from '../errors.js'
import type { ComposeContext } from './compose-context.js'
import { withDependencies } from './dependency-order.js'
import type { Project } from './model.js'
import { checkServiceNames, up, type UpOptions } from './up.js'

/** "web=3" -> ["web", 3], in docker compose's words when it is not one. */
export function parseScale(arg: string): [string, number] {
  const eq = arg.indexOf('=')
  const service = arg.slice(0, eq)
  const value = arg.slice(eq + 1)
  if (eq <= 0 || value === '') throw new UsageError(`invalid scale specifier: ${arg}`)
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid scale specifier: can't parse replica value as int: ${arg}`)
  return [service, Number(value)]
}

/**
 * The project with these services' replicas; the rest of it as it was.
 * With services named (`up web --scale db=2`), a service neither named
 * nor a dependency of one is out of the project, as compose-go's
 * ForServices leaves it, and scaling it is Docker Compose's error.
 */
export function withReplicas(project: Project, replicas: Readonly<Record<string, number>>, named: readonly string[] = []): Project {
  checkServiceNames(project, Object.keys(replicas))
  if (named.length) {
    const scope = withDependencies(project.services, named)
    for (const name of Object.keys(replicas)) if (!scope.has(name)) throw new UsageError(`no such service: ${name}: disabled`)
  }
  const services = { ...project.services }
  for (const [name, n] of Object.entries(replicas)) {
    const s = services[name]!
    if (s.containerName !== undefined && n > 1) throw new UsageError(`service "${name}" has a container_name (${s.containerName}), which is for one container, and ${n} are asked for`)
    services[name] = { ...s, replicas: n }
  }
  return { ...project, services }
}

export async function scale(ctx: ComposeContext, project: Project, replicas: Readonly<Record<string, number>>, o: Pick<UpOptions, 'noDeps' | 'timeout'> = {}): Promise<void> {
  await up(ctx, withReplicas(project, replicas), { ...o, services: Object.keys(replicas) })
}
