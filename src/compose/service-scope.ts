/**
 * Which services' containers a verb on existing containers acts on (ps,
 * logs, exec, stop, restart, kill, rm, top, images, wait...). A service
 * named on the command line is enabled whatever its profiles (the Compose
 * Specification's profiles section), so naming one a profile keeps out is
 * no error; with none named, every service of the file counts, enabled or
 * not, as docker compose acts on the project's containers whatever their
 * profile: a container `up -d worker` started is managed without
 * COMPOSE_PROFILES.
 */
import { UsageError } from '../errors.js'
import type { Project } from './model.js'

export function servicesWithContainers(project: Pick<Project, 'services' | 'disabledServices'>, names: readonly string[] | undefined): Set<string> {
  const known = new Set([...Object.keys(project.services), ...project.disabledServices])
  if (!names?.length) return known
  for (const n of names) if (!known.has(n)) throw new UsageError(`no such service: ${n}`)
  return new Set(names)
}
