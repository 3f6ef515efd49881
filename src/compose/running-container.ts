/**
 * The one container a verb on a service acts on (attach, commit, export),
 * as Docker Compose's getSpecifiedContainer picks it: a running one of the
 * service (a paused one counts, as `ps` lists it), --index's number when
 * given (a replica: never a one-off container), else the lowest
 * numbered, its one-off containers last. A restarting container (Docker
 * counts it as running) is not picked: between its runs there is no
 * process to attach to.
 */
import { MiniRunError } from '../errors.js'
import type { Project } from './model.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'
import { servicesWithContainers } from './service-scope.js'

export function runningServiceContainer(stateRoot: string, project: Pick<Project, 'name' | 'services' | 'disabledServices'>, service: string, index?: number): ServiceContainer {
  servicesWithContainers(project, [service])
  // --index names a replica: a one-off container is numbered too here, but is no replica (Docker's have no number)
  const running = projectContainers(stateRoot, project.name).filter((c) => c.service === service && c.info.status === 'running' && (index === undefined || (!c.oneoff && c.number === index)))
  if (running.length === 0) {
    throw new MiniRunError(index === undefined ? `service "${service}" is not running` : `service "${service}" is not running container #${index}`, { code: 'ENOTRUNNING' })
  }
  return running.sort((a, b) => Number(a.oneoff) - Number(b.oneoff) || a.number - b.number)[0]!
}
