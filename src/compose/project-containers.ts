/**
 * The containers of a project, found by their labels (as Docker Compose
 * finds them: nothing else records a project), grouped by service.
 */
import { listContainers, type ContainerInfo } from '../runtime/container/containers.js'
import { LABELS } from './labels.js'
import type { Service } from './model.js'
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

/** Docker Compose v2's name: `<project>-<service>-<n>`, or container_name. */
export function containerName(project: string, service: Pick<Service, 'name' | 'containerName'>, number: number): string {
  return service.containerName ?? `${project}-${service.name}-${number}`
}

/** What compose shows for a container: its name without the project's prefix when it has it (`web-1`). */
export function shortName(c: ServiceContainer, project: string): string {
  return c.info.name.startsWith(`${project}-`) ? c.info.name.slice(project.length + 1) : c.info.name
}
