/**
 * A container's events, with the attributes Docker gives them
 * (daemon/events.go LogContainerEventWithAttributes): its labels, then
 * `image` (as it was given to run/create) and `name`, then the action's own
 * (exitCode for die, signal for kill, oldName for rename, execID for exec).
 */
import { constants } from 'node:os'
import { appendEvent } from './event-log.js'

export interface ContainerActor {
  id: string
  name: string
  image?: string | undefined
  labels?: Record<string, string> | undefined
}

export function containerEvent(stateRoot: string, action: string, c: ContainerActor, extra: Record<string, string> = {}): void {
  const attributes: Record<string, string> = { ...c.labels }
  if (c.image) attributes.image = c.image
  attributes.name = c.name
  appendEvent(stateRoot, { type: 'container', action, id: c.id, attributes: { ...attributes, ...extra }, ...(c.image ? { from: c.image } : {}) })
}

/** A signal as Docker's kill event names it: its number (SIGTERM: 15). */
export function signalNumber(signal: NodeJS.Signals | number): string {
  return String(typeof signal === 'number' ? signal : ((constants.signals as Record<string, number>)[signal] ?? signal))
}
