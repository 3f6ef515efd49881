/**
 * `compose cp`: files between a service's container and the host, through
 * the runtime's cp (copy-container.ts), on the containers docker compose
 * picks (pkg/compose/cp.go): --index's, or else out of the service its
 * first container, into the service every one of them (one-off ones too
 * with all); stopped ones count, as cp copies into a stopped container.
 */
import { MiniRunError, UsageError } from '../errors.js'
import { copyFromContainer, copyToContainer, type CpOptions } from '../runtime/container/copy/copy-container.js'
import { emit, type ComposeContext } from './compose-context.js'
import type { Project } from './model.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'
import { servicesWithContainers } from './service-scope.js'

/** A tar stream's sink: the CLI's stdout for "-". */
export interface TarSink {
  write(chunk: Buffer): Promise<void> | void
}

export interface ServiceCopy {
  service: string
  /** The path in the service's container(s). */
  containerPath: string
  /** out: the container to the host path or sink; in: the host path or tar stream to the container(s). */
  direction: 'out' | 'in'
  host: string | TarSink | AsyncIterable<Buffer>
  /** Which container of the service, 1 first; default as above. */
  index?: number
  /** Copying in: into one-off containers too. */
  all?: boolean
}

export function containersForCopy(ctx: ComposeContext, project: Project, c: Pick<ServiceCopy, 'service' | 'direction' | 'index' | 'all'>): ServiceContainer[] {
  servicesWithContainers(project, [c.service])
  const of = projectContainers(ctx.stateRoot, project.name).filter((x) => x.service === c.service)
  if (c.index !== undefined) {
    const one = of.find((x) => !x.oneoff && x.number === c.index)
    if (!one) throw new MiniRunError(`service "${c.service}" is not running container #${c.index}`, { code: 'ENOCONTAINER' })
    return [one]
  }
  if (c.all && c.direction === 'out') throw new UsageError('cannot use the --all flag when copying from a service')
  const targets = of.filter((x) => c.all || !x.oneoff)
  if (targets.length === 0) throw new MiniRunError(`no container found for service "${c.service}"`, { code: 'ENOCONTAINER' })
  return c.direction === 'out' ? targets.slice(0, 1) : targets
}

export async function copyWithService(ctx: ComposeContext, project: Project, c: ServiceCopy, o: CpOptions): Promise<void> {
  const targets = containersForCopy(ctx, project, c)
  if (typeof c.host !== 'string' && targets.length > 1) throw new UsageError(`a tar stream is copied into one container, and service "${c.service}" has ${targets.length}: give --index`)
  for (const { info } of targets) {
    emit(ctx, 'Container', info.name, 'Copying')
    if (c.direction === 'out') await copyFromContainer(info, c.containerPath, c.host as string | TarSink, o)
    else await copyToContainer(info, c.host as string | AsyncIterable<Buffer>, c.containerPath, o)
    emit(ctx, 'Container', info.name, 'Copied')
  }
}
