/**
 * `compose rm` and `compose kill`, as docker compose's: rm removes the
 * services' stopped containers (with -s, stopping the running ones first;
 * with -v, their anonymous volumes too), kill signals the running ones.
 * The CLI asks before rm (cli/compose/remove-kill.ts); this decides what.
 */
import { killContainer } from '../runtime/container/stop-container.js'
import { emit, type ComposeContext } from './compose-context.js'
import { removeServiceContainer, stopServiceContainer } from './container-ops.js'
import type { Project } from './model.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'
import { servicesWithContainers } from './service-scope.js'

function ofServices(ctx: ComposeContext, project: Project, services: readonly string[]): ServiceContainer[] {
  const names = servicesWithContainers(project, services)
  return projectContainers(ctx.stateRoot, project.name).filter((c) => names.has(c.service))
}

/** What `compose rm` would remove: the stopped ones, or all of them with stop (-s), stopped first. */
export function removable(ctx: ComposeContext, project: Project, services: readonly string[], o: { stop?: boolean }): ServiceContainer[] {
  return ofServices(ctx, project, services).filter((c) => o.stop || c.info.status !== 'running')
}

export async function removeServices(ctx: ComposeContext, containers: readonly ServiceContainer[], o: { volumes?: boolean }): Promise<void> {
  for (const c of containers) if (c.info.status === 'running') await stopServiceContainer(ctx, c)
  await Promise.all(containers.map((c) => removeServiceContainer(ctx, c, { volumes: o.volumes === true })))
}

/** removeOrphans: the containers of services the file no longer has are signalled too (docker compose kill --remove-orphans, when no service is named). */
export async function killServices(ctx: ComposeContext, project: Project, services: readonly string[], signal: NodeJS.Signals | number, o: { removeOrphans?: boolean } = {}): Promise<void> {
  const orphans = o.removeOrphans && services.length === 0 ? projectContainers(ctx.stateRoot, project.name).filter((c) => !c.oneoff && !project.services[c.service] && !project.disabledServices.includes(c.service)) : []
  await Promise.all(
    [...ofServices(ctx, project, services), ...orphans]
      .filter((c) => c.info.status === 'running')
      .map(async (c) => {
        emit(ctx, 'Container', c.info.name, 'Killing')
        await killContainer(ctx.stateRoot, c.info, signal)
        emit(ctx, 'Container', c.info.name, 'Killed')
      }),
  )
}
