/**
 * `compose up --wait`: every container of the started services running,
 * and healthy where it has a health check (health/), as docker compose's
 * up --wait has them. One that exits or turns unhealthy fails the wait at
 * once: it will not come back by itself. A service another waits on with
 * service_completed_successfully has to exit 0 instead.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { MiniRunError } from '../errors.js'
import { emit, type ComposeContext } from './compose-context.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'

const POLL_MS = 200

/** Resolves once the services' containers run (and pass their health checks); throws when one never will, or after timeoutMs. */
export async function waitRunning(ctx: ComposeContext, project: string, services: ReadonlySet<string>, timeoutMs?: number, completing: ReadonlySet<string> = new Set()): Promise<void> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs
  for (;; await sleep(POLL_MS)) {
    // exited for good, its code recorded: a restart policy's back-off, a start still on its way, or an
    // exit its monitor has not written yet (the process gone, exit.json not there) is not yet an answer
    const done = (c: ServiceContainer) => c.info.status === 'exited' && c.info.exitCode !== undefined && !c.info.restarting && !c.info.removing
    // a service a dependent waits on with service_completed_successfully has only to exit 0 (docker compose's getDependencyCondition)
    const completed = (c: ServiceContainer) => completing.has(c.service) && done(c) && c.info.exitCode === 0
    const containers = projectContainers(ctx.stateRoot, project).filter((c) => services.has(c.service) && !c.oneoff && !completed(c))
    const exited = containers.find(done)
    if (exited) throw new MiniRunError(`container ${exited.info.name} exited (${exited.info.exitCode})`, { code: 'EWAIT' })
    const running = containers.filter((c) => c.info.status === 'running' && !c.info.paused && !completing.has(c.service))
    const unhealthy = running.find((c) => c.info.health?.Status === 'unhealthy')
    if (unhealthy) throw new MiniRunError(`container ${unhealthy.info.name} is unhealthy`, { code: 'EWAIT' })
    if (running.length === containers.length && running.every((c) => !c.info.healthcheck || c.info.health?.Status === 'healthy')) {
      for (const c of containers) emit(ctx, 'Container', c.info.name, c.info.healthcheck ? 'Healthy' : 'Running')
      return
    }
    if (Date.now() >= deadline) throw new MiniRunError(`timeout waiting for the services to be running and healthy`, { code: 'EWAIT' })
  }
}
