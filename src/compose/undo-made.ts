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
 * nothing to go back to).
 */
import { warn, type ComposeContext } from './compose-context.js'
import { removeServiceContainer } from './container-ops.js'
import { projectContainers } from './project-containers.js'
import { removeProjectResource } from './project-resources.js'

export interface Made {
  /** Real names of the networks made. */
  networks: string[]
  /** Real names of the named volumes made. */
  volumes: string[]
  /** Ids of the containers made where there was none. */
  containers: string[]
}

export function nothingMade(): Made {
  return { networks: [], volumes: [], containers: [] }
}

/**
 * Removes what was made, containers first (with the anonymous volumes they
 * made), then networks and volumes; each failure is a warning, so that the
 * command's own error is the one it ends with. timeout: seconds a stop waits.
 */
export async function undoMade(ctx: ComposeContext, project: string, made: Made, timeout?: number): Promise<void> {
  const containers = projectContainers(ctx.stateRoot, project).filter((c) => made.containers.includes(c.info.id))
  for (const c of containers) {
    try {
      await removeServiceContainer(ctx, c, { volumes: true, timeout })
    } catch (err) {
      warn(ctx, `${c.info.name}: ${(err as Error).message}`)
    }
  }
  for (const name of made.networks) removeProjectResource(ctx, 'Network', name)
  for (const name of made.volumes) removeProjectResource(ctx, 'Volume', name)
}
