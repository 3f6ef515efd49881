/**
 * depends_on's conditions, checked on the dependency's containers as they
 * are now: service_started (they run), service_healthy (their health
 * checks pass: health/), service_completed_successfully (they exited 0).
 * A dependency that can never meet its condition (unhealthy, exited, no
 * health check) fails the dependent's start at once, as in Docker.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { emit, warn, type ComposeContext } from './compose-context.js'
import { At, ComposeError } from './compose-error.js'
import type { Dependency } from './model.js'
import { projectContainers } from './project-containers.js'

const POLL_MS = 200

/**
 * A dependency that never met its condition. What started stays, as Docker
 * Compose leaves it: the failed container's logs and state are what the
 * user reads next (undo-made.ts undoes only what was refused when made).
 */
export class DependencyFailed extends ComposeError {}

/** Resolves once `dep`'s containers meet the condition; throws DependencyFailed when they never will. */
export async function waitDependency(ctx: ComposeContext, project: string, service: string, dep: string, d: Dependency, file: string): Promise<void> {
  const at = new At(file, ['services', service, 'depends_on', dep])
  const fail = (message: string) => {
    if (d.required) throw new DependencyFailed(at.file, at.path, message)
    warn(ctx, `${message} (not required: ${service} starts anyway)`)
  }
  for (let announced = false; ; await sleep(POLL_MS)) {
    const containers = projectContainers(ctx.stateRoot, project).filter((c) => c.service === dep && !c.oneoff)
    if (containers.length === 0) return fail(`dependency ${dep} has no container`)
    if (d.condition === 'service_started') return
    if (d.condition === 'service_completed_successfully') {
      // an exit whose code its monitor has not written yet (the process gone, exit.json not there) is not yet an answer
      const running = containers.filter((c) => c.info.status === 'running' || (c.info.status === 'exited' && c.info.exitCode === undefined))
      if (running.length === 0) {
        const failed = containers.find((c) => c.info.exitCode !== 0)
        if (failed) return fail(`service "${dep}" did not complete successfully: exit ${failed.info.exitCode ?? 'unknown'}`)
        emit(ctx, 'Container', containers[0]!.info.name, 'Exited')
        return
      }
    } else {
      const noCheck = containers.find((c) => !c.info.healthcheck)
      if (noCheck) return fail(`container ${noCheck.info.name} has no healthcheck configured, and ${service} waits for it to be healthy`)
      const exited = containers.find((c) => c.info.status !== 'running')
      if (exited) return fail(`container ${exited.info.name} exited (${exited.info.exitCode ?? 'unknown'}) before it was healthy`)
      const unhealthy = containers.find((c) => c.info.health?.Status === 'unhealthy')
      if (unhealthy) return fail(`dependency failed to start: container ${unhealthy.info.name} is unhealthy`)
      if (containers.every((c) => c.info.health?.Status === 'healthy')) {
        for (const c of containers) emit(ctx, 'Container', c.info.name, 'Healthy')
        return
      }
    }
    if (!announced) {
      for (const c of containers) emit(ctx, 'Container', c.info.name, 'Waiting')
      announced = true
    }
  }
}
