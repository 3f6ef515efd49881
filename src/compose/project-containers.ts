/**
 * The containers of a project, found by their labels (as Docker Compose
 * finds them: nothing else records a project), grouped by service.
 */
import { listContainers, type ContainerInfo } from '../runtime/container/containers.js'
import { LABELS } from './labels.js'
import type { Project, Service } from './model.js'
import { textOrder } from '../text-order.js'

export interface ServiceContainer {
  info: ContainerInfo
  service: string
  number: number
  oneoff: boolean
}

export function projectContainers(stateRoot: string, project: string): ServiceContainer[] {
  const out: ServiceContainer[] = []
  for (const info of listContainers(stateRoot)) {
    const labels = info.labels ?? {}
    if (labels[LABELS.project] !== project) continue
    out.push({
      info,
      service: labels[LABELS.service] ?? '',
      number: Number(labels[LABELS.number] ?? 0),
      oneoff: labels[LABELS.oneoff] === 'True',
    })
  }
  return out.sort((a, b) => textOrder(a.service, b.service) || a.number - b.number)
}

/** What the names compose makes are made of: the project's name, and the separator its compatibility mode gives. */
export type Naming = Pick<Project, 'name' | 'compatibility'>

/** Docker Compose's api.Separator: `-`, or v1's `_` under --compatibility. */
export function separatorOf(project: { compatibility?: boolean }): '-' | '_' {
  return project.compatibility ? '_' : '-'
}

/** Docker Compose's name: `<project>-<service>-<n>` (`_` under --compatibility), or container_name. */
export function containerName(project: Naming, service: Pick<Service, 'name' | 'containerName'>, number: number): string {
  return service.containerName ?? [project.name, service.name, number].join(separatorOf(project))
}

/**
 * What compose shows for a container (getContainerNameWithoutProject): the
 * name without the project when it is the name compose made (`web-1`), in
 * either separator, else the whole name (a container_name).
 */
export function shortName(c: ServiceContainer, project: string): string {
  const made = ['-', '_'].some((sep) => c.info.name === [project, c.service, c.number].join(sep))
  return made ? c.info.name.slice(project.length + 1) : c.info.name
}
