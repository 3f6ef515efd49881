/**
 * The events log: mini-run has no daemon to hold Docker's event stream in
 * memory, so each action appends one JSON line (Docker's events.Message) to
 * a file in the state root, as podman's `file` events backend does
 * (events_logger = "file"). `mini-run events` reads and follows it.
 *
 * Many processes append at once (a `run`, the exit command of a detached
 * container, a `kill`...). Each line is one write(2) on an O_APPEND fd: the
 * kernel moves the offset to the end and writes under the inode's lock, so
 * lines from different processes never interleave nor overwrite each other
 * (write(2): "the file offset is first set to the end of the file ... as
 * an atomic step"). This is the whole cost on the start path: an open, a
 * write, an fstat and a close, through the fs module every start loads.
 *
 * An event that cannot be written is lost, never the action's failure:
 * Docker's daemon drops events for slow subscribers the same way.
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs'
import { rotateEventLog } from './rotate-event-log.js'

export const EVENT_LOG = 'events.log'

/** podman's events_logfile_max_size default (1 MB); MINI_RUN_EVENTS_MAX_SIZE overrides it (bytes). */
const DEFAULT_MAX_SIZE = 1_000_000

export type EventType = 'container' | 'image' | 'network' | 'volume' | 'builder'

export interface EventInput {
  type: EventType
  action: string
  /** Actor.ID: a container's or network's id, an image's reference or id, a volume's name; '' for a prune. */
  id: string
  attributes?: Record<string, string>
  /** Docker's deprecated `from` of container events: the image. */
  from?: string
}

export function eventLogPath(stateRoot: string): string {
  return `${stateRoot}/${EVENT_LOG}`
}

export function eventLogMaxSize(env: NodeJS.ProcessEnv = process.env): number {
  const given = Number(env.MINI_RUN_EVENTS_MAX_SIZE)
  return Number.isSafeInteger(given) && given > 0 ? given : DEFAULT_MAX_SIZE
}

// Wall time to the nanosecond: Date.now() to the millisecond, the rest from
// the monotonic clock since this process first asked (Docker's timeNano).
let base: { ms: bigint; hr: bigint } | undefined
function nowNano(): bigint {
  const hr = process.hrtime.bigint()
  base ??= { ms: BigInt(Date.now()), hr }
  return base.ms * 1_000_000n + (hr - base.hr)
}

/** The line as Docker's API encodes an events.Message (timeNano is past 2^53: written as digits). */
export function eventLine(e: EventInput, timeNano: bigint = nowNano()): string {
  const attributes: Record<string, string> = {}
  for (const k of Object.keys(e.attributes ?? {}).sort()) attributes[k] = e.attributes![k]!
  // status, id and from: the fields older clients read, as Docker still sends them for containers and images
  const legacy = e.type === 'container' || e.type === 'image'
  // (omitempty: a prune's actor has no id, and its line no "id")
  const id = e.id !== '' ? `"id":${JSON.stringify(e.id)},` : ''
  const head = legacy ? `"status":${JSON.stringify(e.action)},${id}${e.from !== undefined ? `"from":${JSON.stringify(e.from)},` : ''}` : ''
  const time = timeNano / 1_000_000_000n
  return `{${head}"Type":${JSON.stringify(e.type)},"Action":${JSON.stringify(e.action)},"Actor":{"ID":${JSON.stringify(e.id)},"Attributes":${JSON.stringify(attributes)}},"scope":"local","time":${time},"timeNano":${timeNano}}\n`
}

/** Append one event; never throws (an event lost is not the action's failure). */
export function appendEvent(stateRoot: string, e: EventInput): void {
  try {
    const path = eventLogPath(stateRoot)
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600)
    let size: number
    try {
      writeSync(fd, eventLine(e))
      size = fstatSync(fd).size
    } finally {
      closeSync(fd)
    }
    const max = eventLogMaxSize()
    if (size > max) rotateEventLog(path, max)
  } catch {
    // the state root is gone or read-only: the action still happened
  }
}
