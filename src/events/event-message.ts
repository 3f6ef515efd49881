/**
 * An events log line read back: Docker's events.Message. timeNano is past
 * 2^53, so it is taken from the line's digits as a bigint before the rest
 * is parsed (a JavaScript number would round it to 256 ns).
 */
import type { EventType } from './event-log.js'

export interface EventMessage {
  status?: string
  id?: string
  from?: string
  Type: EventType
  Action: string
  Actor: { ID: string; Attributes: Record<string, string> }
  scope: string
  time: number
  timeNano: bigint
}

/** One line of the log; undefined for one that is not an event (cut short by a crash, say). */
export function parseEventLine(line: string): EventMessage | undefined {
  const nano = /"timeNano":(\d+)\}$/.exec(line)
  if (!nano) return undefined
  try {
    const e = JSON.parse(line) as EventMessage
    if (typeof e.Type !== 'string' || typeof e.Action !== 'string' || typeof e.Actor?.ID !== 'string') return undefined
    e.Actor.Attributes ??= {}
    e.timeNano = BigInt(nano[1]!)
    return e
  } catch {
    return undefined
  }
}

/** The message as Docker's API encodes it, timeNano to the digit. */
export function eventJson(e: EventMessage): string {
  const { timeNano, ...rest } = e
  return `${JSON.stringify(rest).slice(0, -1)},"timeNano":${timeNano}}`
}

/**
 * What a --format template sees: the Go struct's field names (.Type,
 * .Action, .Actor.ID, .Actor.Attributes, .ID, .Status, .From, .Scope,
 * .Time, .TimeNano), and `{{json .}}` gives the API's JSON.
 */
export function templateData(e: EventMessage): Record<string, unknown> {
  const data: Record<string, unknown> = {
    Status: e.status ?? '',
    ID: e.id ?? '',
    From: e.from ?? '',
    Type: e.Type,
    Action: e.Action,
    Actor: e.Actor,
    Scope: e.scope,
    Time: e.time,
    TimeNano: e.timeNano,
  }
  Object.defineProperty(data, 'toJSON', { value: () => ({ ...e, timeNano: Number(e.timeNano) }), enumerable: false })
  return data
}
