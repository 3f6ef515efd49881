/**
 * Starting, stopping and removing a project's containers through the
 * runtime's own start, stop and rm. A stop is noted as one the user asked
 * for (stop-container.ts markStoppedByUser) even when the container had
 * exited already: a restart policy waiting out its back-off must not bring
 * it back.
 */
import { findContainer } from '../runtime/container/containers.js'
import { removeContainer } from '../runtime/container/remove-container.js'
import { startExisting } from '../runtime/container/start-existing.js'
import { markStoppedByUser, stopContainer } from '../runtime/container/stop-container.js'
import { emit, type ComposeContext } from './compose-context.js'
import type { ServiceContainer } from './project-containers.js'
import { injectFiles, writesFiles } from './inject-files.js'
import { runHooks } from './hooks.js'
import type { MiniRunError } from '../errors.js'
import type { Project, Service } from './model.js'

/**
 * A stopped container of a service, started again: the same container
 * (start-existing.ts), its secrets and configs written again first from
 * the service as loaded, as Docker Compose does before every start.
 */
export async function startAgain(ctx: ComposeContext, c: ServiceContainer, from?: { project: Pick<Project, 'environment'>; service: Service | undefined; writeFiles?: boolean }): Promise<void> {
  emit(ctx, 'Container', c.info.name, 'Starting')
  if (from?.service && from.writeFiles !== false && writesFiles(from.service)) await injectFiles(from.project, from.service, c.info)
  await startExisting(ctx.stateRoot, c.info)
  if (from?.service?.postStart) await runHooks(ctx, from.service, findContainer(ctx.stateRoot, c.info.id), from.service.postStart)
  emit(ctx, 'Container', c.info.name, 'Started')
}

/** service: its pre_stop hooks run first (hooks.ts), when compose stops it as Docker Compose does (stop, down, restart; a recreate passes none). */
export async function stopServiceContainer(ctx: ComposeContext, c: ServiceContainer, timeout?: number, service?: Service): Promise<void> {
  if (c.info.status !== 'running') {
    markStoppedByUser(ctx.stateRoot, c.info)
    return
  }
  emit(ctx, 'Container', c.info.name, 'Stopping')
  // not in a paused one (stop thaws it to kill it), and one that exited since it was listed needs none (down.go ignores NotFound)
  if (service?.preStop && !c.info.paused) {
    try {
      await runHooks(ctx, service, c.info, service.preStop)
    } catch (err) {
      if ((err as MiniRunError).code !== 'ENOTRUNNING') throw err
    }
  }
  await stopContainer(ctx.stateRoot, c.info, timeout)
  emit(ctx, 'Container', c.info.name, 'Stopped')
}

export async function removeServiceContainer(ctx: ComposeContext, c: ServiceContainer, o: { volumes?: boolean; timeout?: number; service?: Service } = {}): Promise<void> {
  await stopServiceContainer(ctx, c, o.timeout, o.service)
  emit(ctx, 'Container', c.info.name, 'Removing')
  let info
  try {
    info = findContainer(ctx.stateRoot, c.info.id)
  } catch {
    info = undefined // removed meanwhile (run -d --rm, or another command)
  }
  if (info) await removeContainer(ctx.stateRoot, info, true, { storeRoot: ctx.storeRoot, volumes: o.volumes === true })
  emit(ctx, 'Container', c.info.name, 'Removed')
}
