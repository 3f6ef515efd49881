/**
 * Stopping and removing a project's containers through the runtime's own
 * stop and rm. A stopped container is marked as one whose stop was asked
 * for (runtime/container/stop-request.ts) even when it had exited already:
 * a restart policy waiting out its delay must not bring it back.
 */
import { findContainer } from '../runtime/container/containers.js'
import { removeContainer } from '../runtime/container/remove-container.js'
import { stopContainer } from '../runtime/container/stop-container.js'
import { emit, type ComposeContext } from './compose-context.js'
import type { ServiceContainer } from './project-containers.js'
import { removePlanRecord } from './service-container.js'
import { LABELS } from './labels.js'
import { markStopRequested } from '../runtime/container/stop-request.js'

export async function stopServiceContainer(ctx: ComposeContext, c: ServiceContainer, timeout?: number): Promise<void> {
  markStopRequested(ctx.stateRoot, c.info.id)
  if (c.info.status !== 'running') return
  emit(ctx, 'Container', c.info.name, 'Stopping')
  await stopContainer(ctx.stateRoot, c.info, timeout)
  emit(ctx, 'Container', c.info.name, 'Stopped')
}

export async function removeServiceContainer(ctx: ComposeContext, c: ServiceContainer, o: { volumes?: boolean; timeout?: number } = {}): Promise<void> {
  await stopServiceContainer(ctx, c, o.timeout)
  emit(ctx, 'Container', c.info.name, 'Removing')
  let info
  try {
    info = findContainer(ctx.stateRoot, c.info.id)
  } catch {
    info = undefined // removed meanwhile (run -d --rm, or another command)
  }
  if (info) await removeContainer(ctx.stateRoot, info, true, { storeRoot: ctx.storeRoot, volumes: o.volumes === true })
  const project = c.info.labels?.[LABELS.project]
  if (project) removePlanRecord(ctx.stateRoot, project, c.info.name)
  emit(ctx, 'Container', c.info.name, 'Removed')
}
