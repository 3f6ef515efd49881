/**
 * Docker's rules for `rmi` (moby daemon/images/image_delete.go), as pure
 * functions of what the store and the containers say. A conflict is hard
 * (a running container uses the image: no -f deletes it) or soft (another
 * name keeps it, or a stopped container uses it: -f deletes it). After a
 * name is untagged, the image's own delete is "quiet": a conflict there
 * keeps the image, untagged, and is not reported (a running container's
 * image stays as <none>:<none>, as Docker's does).
 */
import { MiniRunError } from '../errors.js'
import { digestHex } from './digest.js'

/** A container as `rmi` weighs it: made from the image `imageId`, running (or paused, or restarting) or not. */
export interface ImageUser {
  id: string
  imageId: string | undefined
  running: boolean
}

export interface DeleteConflict {
  hard: boolean
  /** A container uses the image (Docker's `used`): a quiet delete keeps the image without a word. */
  used: boolean
  message: string
}

/**
 * The first conflict deleting the image `configDigest` meets, or undefined,
 * in Docker's order. `names`: how many names would stay on it (an id given
 * with one name: none, the name goes with the image); `force` ignores soft
 * conflicts.
 */
export function deleteConflict(configDigest: string, users: readonly ImageUser[], o: { force: boolean; names: number }): DeleteConflict | undefined {
  const using = users.filter((u) => u.imageId === configDigest)
  const running = using.find((u) => u.running)
  if (running) return { hard: true, used: true, message: `image is being used by running container ${running.id.slice(0, 12)}` }
  if (o.force) return undefined
  if (o.names > 0) return { hard: false, used: false, message: 'image is referenced in multiple repositories' }
  const stopped = using.find((u) => !u.running)
  if (stopped) return { hard: false, used: true, message: `image is being used by stopped container ${stopped.id.slice(0, 12)}` }
  return undefined
}

/** Docker's words: "conflict: unable to delete <id> (cannot be forced) - image is being used by running container <id>". */
export function conflictError(configDigest: string, c: DeleteConflict): MiniRunError {
  const forced = c.hard ? 'cannot be forced' : 'must be forced'
  return new MiniRunError(`conflict: unable to delete ${digestHex(configDigest).slice(0, 12)} (${forced}) - ${c.message}`, { code: 'ECONFLICT' })
}

/** Untagging the last name of an image a container was made from, without -f: Docker's refusal, naming the container. */
export function lastNameError(ref: string, configDigest: string, user: ImageUser): MiniRunError {
  return new MiniRunError(
    `conflict: unable to remove repository reference "${ref}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${digestHex(configDigest).slice(0, 12)}`,
    { code: 'ECONFLICT' },
  )
}
