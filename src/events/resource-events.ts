/**
 * Image, network and volume events, as Docker's daemon logs them: an image's
 * Actor.ID is the reference for pull and push ("busybox:latest", with
 * name=busybox) and its id for the rest (daemon/images LogImageEvent, with
 * name= the reference concerned); a network's is its id (name, type; the
 * container for connect and disconnect); a volume's its name (driver; the
 * container for mount).
 */
import { ensurePrivateDir } from '../private-dir.js'
import { appendEvent, type EventInput } from './event-log.js'

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

export function networkEvent(stateRoot: string, action: string, network: { id: string; name: string; driver?: string }, container?: string): void {
  append(stateRoot, {
    type: 'network',
    action,
    id: network.id,
    attributes: { name: network.name, type: network.driver ?? 'bridge', ...(container !== undefined ? { container } : {}) },
  })
}

export function volumeEvent(stateRoot: string, action: string, name: string, attributes: Record<string, string> = {}): void {
  append(stateRoot, { type: 'volume', action, id: name, attributes: { driver: 'local', ...attributes } })
}
