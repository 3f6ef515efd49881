/**
 * The container a request names (its id, a prefix, or its name, as the CLI
 * resolves one), or Docker's 404; and whether it runs, as the API says.
 */
import { ApiError } from './cli-call.js'
import type { Service } from './service.js'
import { findContainer, type ContainerInfo } from '../runtime/container/containers.js'

/** The container a path names, or Docker's 404. */
export function containerOf(svc: Service, ref: string): ContainerInfo {
  try {
    return findContainer(svc.stateRoot, ref)
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ENOCONTAINER') throw new ApiError(404, `No such container: ${ref}`)
    if (code === 'EAMBIGUOUS') throw new ApiError(400, (err as Error).message)
    throw err
  }
}

/** Running, as Docker's State.Running says: a container its restart policy is restarting counts too. */
export const running = (c: ContainerInfo): boolean => c.status === 'running' || c.restarting === true
