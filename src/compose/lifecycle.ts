/**
 * `compose stop`, `start`, `restart`, `pause` and `unpause`, through the runtime's own stop and
 * start: a stopped container starts again as the same container (its id,
 * writable layer, volumes and log kept: start-existing.ts), planned from
 * what its state recorded; the compose file is not read again for it, as
 * `docker compose start` does not read it either. A service starts once
 * its dependencies meet their depends_on conditions, as in `up`.
 */
import { emit, type ComposeContext } from './compose-context.js'
import { startAgain, stopServiceContainer } from './container-ops.js'
import { restartDependents, startWaves, withDependencies } from './dependency-order.js'
import { stopOrder } from './down.js'
import type { Project } from './model.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'
import { servicesWithContainers } from './service-scope.js'
import { waitDependency } from './wait-dependency.js'

function containersOf(ctx: ComposeContext, project: Project, names: ReadonlySet<string>): ServiceContainer[] {
  return projectContainers(ctx.stateRoot, project.name).filter((c) => !c.oneoff && names.has(c.service))
}

export async function stop(ctx: ComposeContext, project: Project, services?: string[], timeout?: number): Promise<void> {
  for (const group of stopOrder(project, containersOf(ctx, project, servicesWithContainers(project, services)))) {
    await Promise.all(group.map((c) => stopServiceContainer(ctx, c, timeout, project.services[c.service])))
  }
}

/**
 * With none named, the services the profiles enable, as docker compose's start; with some named,
 * what they depend on too, first (docker compose selects them with their dependencies:
 * compose-go's WithSelectedServices), so `start web` starts the db that `stop db` stopped.
 */
export async function start(ctx: ComposeContext, project: Project, services?: string[]): Promise<void> {
  await startServices(ctx, project, services?.length ? new Set([...servicesWithContainers(project, services), ...withDependencies(project.services, services)]) : new Set(Object.keys(project.services)))
}

async function startServices(ctx: ComposeContext, project: Project, names: ReadonlySet<string>, o: { writeFiles?: boolean } = {}): Promise<void> {
  const containers = containersOf(ctx, project, names)
  const waves = startWaves(project.services, project.mainFile)
  const ordered = new Set(waves.flat())
  // one no profile enables (restart with none named) has no place in the order: last
  for (const wave of [...waves, [...names].filter((n) => !ordered.has(n))]) {
    await Promise.all(
      wave.map(async (name) => {
        // one its restart policy is about to start again is left to it
        const stopped = containers.filter((c) => c.service === name && c.info.status !== 'running' && !c.info.restarting)
        if (stopped.length === 0) return
        // each dependency meets its condition first, as up waits for it (docker compose's start does too)
        const s = project.services[name]
        const file = project.serviceFiles[name] ?? project.mainFile
        await Promise.all(Object.entries(s?.dependsOn ?? {}).map(([dep, d]) => waitDependency(ctx, project.name, name, dep, d, file)))
        await Promise.all(stopped.map((c) => startAgain(ctx, c, { project, service: s, writeFiles: o.writeFiles !== false })))
      }),
    )
  }
}

/** The containers stop stopped, started again: those of every service with none named, whatever its profile; with some named, their restart: true dependents too. */
export async function restart(ctx: ComposeContext, project: Project, services?: string[], timeout?: number, o: { noDeps?: boolean } = {}): Promise<void> {
  const names = servicesWithContainers(project, services)
  // one joined to db's network namespace stays in the old one unless it starts again after db: depends_on's
  // restart: true (not with --no-deps, as docker compose's restart)
  if (services?.length && !o.noDeps) for (const n of restartDependents(project.services, names)) names.add(n)
  await stop(ctx, project, [...names], timeout)
  // docker compose's restart is the daemon's (restart.go): nothing written again
  await startServices(ctx, project, names, { writeFiles: false })
}

/**
 * `compose pause` / `unpause`: the freezer on each running container of the
 * services (pause-container.ts); one already so, or not running, is left,
 * as docker compose leaves it.
 */
export async function pause(ctx: ComposeContext, project: Project, services: string[] | undefined, on: boolean): Promise<void> {
  const { pauseContainer, unpauseContainer } = await import('../runtime/container/pause-container.js')
  for (const c of containersOf(ctx, project, servicesWithContainers(project, services))) {
    if (c.info.status !== 'running' || c.info.paused === on) continue
    emit(ctx, 'Container', c.info.name, on ? 'Pausing' : 'Unpausing')
    await (on ? pauseContainer(c.info, ctx.stateRoot) : unpauseContainer(c.info, ctx.stateRoot))
    emit(ctx, 'Container', c.info.name, on ? 'Paused' : 'Unpaused')
  }
}
