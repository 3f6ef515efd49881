/**
 * The one container a verb on a service acts on (attach, commit, export),
 * as Docker Compose's getSpecifiedContainer picks it: a running one of the
 * service (a paused one counts, as `ps` lists it), --index's number when
 * given, else the lowest numbered, its one-off containers last.
 */
import { MiniRunError } from '../errors.js'
import type { Project } from './model.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'
import { servicesWithContainers } from './service-scope.js'

export function runningServiceContainer(stateRoot: string, project: Pick<Project, 'name' | 'services' | 'disabledServices'>, service: string, index?: number): ServiceContainer {
  servicesWithContainers(project, [service])
  const running = projectContainers(stateRoot, project.name).filter((c) => c.service === service && c.info.status === 'running' && (index === undefined || c.number === index))
  if (running.length === 0) {
    throw new MiniRunError(index === undefined ? `service "${service}" is not running` : `service "${service}" is not running container #${index}`, { code: 'ENOTRUNNING' })
  }
  return running.sort((a, b) => Number(a.oneoff) - Number(b.oneoff) || a.number - b.number)[0]!
}
