/**
 * `compose stop`, `start` and `restart`. A stopped container is started
 * again as it was made: mini-run has no start of an exited container yet,
 * so a new one is made from the plan recorded when the old one was
 * (service-container.ts), with the same name, labels and anonymous
 * volumes; the compose file is not read again, as `docker compose start`
 * does not read it either. The restart policy restarts the same way.
 */
import { removeContainer } from '../runtime/container/remove-container.js'
import { emit, type ComposeContext } from './compose-context.js'
import { stopServiceContainer } from './container-ops.js'
import { startWaves } from './dependency-order.js'
import { stopOrder } from './down.js'
import { LABELS } from './labels.js'
import type { Project } from './model.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'
import { readPlanRecord, startServiceContainer } from './service-container.js'
import { selectedServices } from './up.js'
import { MiniRunError } from '../errors.js'
import { findContainer } from '../runtime/container/containers.js'

function containersOf(ctx: ComposeContext, project: Project, services: readonly string[] | undefined): ServiceContainer[] {
  const names = new Set(selectedServices(project, services))
  return projectContainers(ctx.stateRoot, project.name).filter((c) => !c.oneoff && names.has(c.service))
}

export async function stop(ctx: ComposeContext, project: Project, services?: string[], timeout?: number): Promise<void> {
  for (const group of stopOrder(project, containersOf(ctx, project, services))) {
    await Promise.all(group.map((c) => stopServiceContainer(ctx, c, timeout)))
  }
}

/** A new container for an exited one, from the plan it was made from. */
export async function startAgain(ctx: ComposeContext, c: ServiceContainer, restartCount?: number): Promise<string> {
  const project = c.info.labels?.[LABELS.project] ?? ''
  const plan = readPlanRecord(ctx.stateRoot, project, c.info.name)
  if (!plan) throw new MiniRunError(`container ${c.info.name} has no recorded plan to start it from: use compose up`, { code: 'ENOPLAN' })
  plan.anonymousVolumes = Object.fromEntries((c.info.volumes ?? []).filter((v) => /^[0-9a-f]{64}$/.test(v.name)).map((v) => [v.destination, v.name]))
  if (restartCount !== undefined) plan.restartCount = restartCount
  let info
  try {
    info = findContainer(ctx.stateRoot, c.info.id)
  } catch {
    info = undefined
  }
  if (info) await removeContainer(ctx.stateRoot, info, true, { storeRoot: ctx.storeRoot })
  return startServiceContainer({ ...ctx, ...(plan.cgroupParent !== undefined ? { cgroupParent: plan.cgroupParent } : {}) }, plan)
}

export async function start(ctx: ComposeContext, project: Project, services?: string[]): Promise<void> {
  const containers = containersOf(ctx, project, services)
  for (const wave of startWaves(project.services, project.mainFile)) {
    await Promise.all(
      containers
        .filter((c) => wave.includes(c.service) && c.info.status !== 'running')
        .map(async (c) => {
          emit(ctx, 'Container', c.info.name, 'Starting')
          await startAgain(ctx, c)
          emit(ctx, 'Container', c.info.name, 'Started')
        }),
    )
  }
}

export async function restart(ctx: ComposeContext, project: Project, services?: string[], timeout?: number): Promise<void> {
  await stop(ctx, project, services, timeout)
  await start(ctx, project, services)
}
