/**
 * Image, network and volume events, as Docker's daemon logs them: an image's
 * Actor.ID is the reference for pull and push ("busybox:latest", with
 * name=busybox) and its id for the rest (daemon/images LogImageEvent, with
 * name= the reference concerned); a network's is its id (name, type; the
 * container for connect and disconnect: daemon/events.go
 * LogNetworkEventWithAttributes); a volume's its name (driver; for mount the
 * container, destination, propagation and read/write: daemon/volumes_unix.go
 * setupMounts; for unmount the container: container.UnmountVolumes). A
 * prune's actor has no id, and says the bytes it reclaimed (daemon/prune.go).
 */
import { familiarName } from '../image/reference.js'
import { ensurePrivateDir } from '../private-dir.js'
import { appendEvent, type EventInput, type EventType } from './event-log.js'

/**
 * An image, network or volume verb may be the first to use the state root
 * (a container's verbs make it): made here as they make it, private to its
 * owner (state.ts ensureStateRoot); one not safe to trust gets no event.
 */
function append(stateRoot: string, e: EventInput): void {
  try {
    ensurePrivateDir(stateRoot, { mode: 0o700, what: 'state directory' })
  } catch {
    return
  }
  appendEvent(stateRoot, e)
}

export function imageEvent(stateRoot: string, action: string, id: string, name: string): void {
  append(stateRoot, { type: 'image', action, id, attributes: { name } })
}

/**
 * Docker's daemon's events of images removed (rmi and prune alike), image by
 * image: an untag for each name taken (an untagged image's id is no name),
 * then a delete by its id if its config went. Its layers have none.
 */
export function imageRemovalEvents(stateRoot: string, untagged: readonly { name: string; configDigest: string }[], deleted: readonly string[]): void {
  const names = new Map<string, string[]>()
  for (const { name, configDigest } of untagged) names.set(configDigest, [...(names.get(configDigest) ?? []), name])
  for (const [id, of] of names) {
    for (const name of of) if (name !== id) imageEvent(stateRoot, 'untag', id, familiarName(name))
    if (deleted.includes(id)) imageEvent(stateRoot, 'delete', id, id)
  }
}

export interface NetworkActor {
  id: string
  name: string
  driver?: string
}

function networkInput(action: string, network: NetworkActor, container?: string): EventInput {
  return {
    type: 'network',
    action,
    id: network.id,
    attributes: { name: network.name, type: network.driver ?? 'bridge', ...(container !== undefined ? { container } : {}) },
  }
}

export function networkEvent(stateRoot: string, action: string, network: NetworkActor, container?: string): void {
  append(stateRoot, networkInput(action, network, container))
}

function volumeInput(action: string, name: string, attributes: Record<string, string>): EventInput {
  return { type: 'volume', action, id: name, attributes: { driver: 'local', ...attributes } }
}

export function volumeEvent(stateRoot: string, action: string, name: string, attributes: Record<string, string> = {}): void {
  append(stateRoot, volumeInput(action, name, attributes))
}

/*
 * The events of a container's own start and exit: the networks it joins
 * and leaves, the volumes it makes, mounts, unmounts and removes. Its state
 * root exists (its state is in it), so each is one append and nothing more
 * on the start path.
 */

export function containerNetworkEvent(stateRoot: string, action: 'connect' | 'disconnect', network: NetworkActor, container: string): void {
  appendEvent(stateRoot, networkInput(action, network, container))
}

export function containerVolumeEvent(stateRoot: string, action: string, name: string, attributes: Record<string, string> = {}): void {
  appendEvent(stateRoot, volumeInput(action, name, attributes))
}

/** `container|image|network|volume|builder prune`, once its removals are done: what it freed, in bytes. */
export function pruneEvent(stateRoot: string, type: EventType, reclaimedBytes: number): void {
  append(stateRoot, { type, action: 'prune', id: '', attributes: { reclaimed: String(reclaimedBytes) } })
}
