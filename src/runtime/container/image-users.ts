/**
 * The containers as `rmi` weighs them (image/image-delete-conflict.ts):
 * which image each was made from, and whether it runs. Docker counts a
 * paused container as running, and a restarting one too (its State.Running
 * stays true between two runs).
 */
import type { ImageUser } from '../../image/image-delete-conflict.js'
import { listContainers } from './containers.js'

export function imageUsers(stateRoot: string): ImageUser[] {
  return listContainers(stateRoot).map((c) => ({ id: c.id, imageId: c.imageId, running: c.status === 'running' || c.restarting }))
}
