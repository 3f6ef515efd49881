/**
 * `compose wait SERVICE...`: block until every running container of the
 * services (one-off ones too) has stopped, as docker compose's wait does
 * (pkg/compose/wait.go): each exit is reported as it comes, and the code is
 * the last one's. With downProject the project is then taken down, orphans
 * too. The runtime's wait (wait-container.ts) reads each exit code.
 */
import { MiniRunError } from '../errors.js'
import { waitContainer } from '../runtime/container/wait-container.js'
import type { ComposeContext } from './compose-context.js'
import { down } from './down.js'
import type { Project } from './model.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'
import { servicesWithContainers } from './service-scope.js'

export interface WaitOptions {
  /** Called as each container exits. */
  onExit?: (c: ServiceContainer, exitCode: number) => void
  /** --down-project: `down --remove-orphans` once they have all stopped. */
  downProject?: boolean
}

/** Resolves to the exit code of the container that stopped last. */
export async function waitServices(ctx: ComposeContext, project: Project, services: readonly string[], o: WaitOptions = {}): Promise<number> {
  const names = servicesWithContainers(project, services)
  const running = projectContainers(ctx.stateRoot, project.name).filter((c) => names.has(c.service) && c.info.status === 'running')
  if (running.length === 0) throw new MiniRunError(`no containers for project "${project.name}"`, { code: 'ENOCONTAINERS' })
  let last = 0
  await Promise.all(
    running.map(async (c) => {
      last = await waitContainer(ctx.stateRoot, c.info)
      o.onExit?.(c, last)
    }),
  )
  if (o.downProject) await down(ctx, project.name, project, { removeOrphans: true })
  return last
}
