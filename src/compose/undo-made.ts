/**
 * What one `up`, `create` or `run` made, and its undoing when that command
 * fails: what can fail only once a container is made (a user the image
 * lacks, a command that is not there, a port taken meanwhile) would leave
 * the project's new networks (their bridge, veths and firewall rules), its
 * new volumes and the containers that started before it. Docker Compose
 * leaves them for `down`; mini-run's compose leaves nothing it made.
 *
 * Only what this command made goes: a network or volume that was there
 * already stays, and so does a container that replaced one (it took over
 * the old one's anonymous volumes, and the old one is gone: there is
 * nothing to go back to). A volume a container ran with stays too: what it
 * holds may be what that container wrote. A dependency that failed its
 * condition undoes nothing (undoesMade): its logs are wanted.
 */
import { warn, type ComposeContext } from './compose-context.js'
import { removeServiceContainer } from './container-ops.js'
import { projectContainers, type ServiceContainer } from './project-containers.js'
import { removeProjectResource } from './project-resources.js'
import { DependencyFailed } from './wait-dependency.js'
import type { Made } from './made.js'

/** A failure that undoes what was made: not a dependency that failed its condition (its containers ran, their logs are wanted). */
export function undoesMade(err: unknown): boolean {
  return !(err instanceof DependencyFailed)
}


/**
 * Removes what was made, containers first (with the anonymous volumes they
 * made), then networks and volumes; each failure is a warning, so that the
 * command's own error is the one it ends with. timeout: seconds a stop waits.
 */
export async function undoMade(ctx: ComposeContext, project: string, made: Made, timeout?: number): Promise<void> {
  const containers = projectContainers(ctx.stateRoot, project).filter((c) => made.containers.includes(c.info.id))
  // a container that ran may have written into its volumes (a database's import): they stay, named
  // or anonymous, as Docker Compose never removes a volume unasked; `down -v` does
  const ran = (c: ServiceContainer) => c.info.startedAt !== undefined
  const written = new Set(containers.filter(ran).flatMap((c) => (c.info.volumes ?? []).map((v) => v.name)))
  for (const c of containers) {
    try {
      await removeServiceContainer(ctx, c, { volumes: !ran(c), timeout })
    } catch (err) {
      warn(ctx, `${c.info.name}: ${(err as Error).message}`)
    }
  }
  for (const name of made.networks) removeProjectResource(ctx, 'Network', name)
  for (const name of made.volumes) {
    if (written.has(name)) warn(ctx, `volume ${name} is kept: a container ran with it (compose down -v removes it)`)
    else removeProjectResource(ctx, 'Volume', name)
  }
}
