/**
 * How `events` prints an event: Docker's CLI line (docker/cli
 * cli/command/system/events.go prettyPrintEvent), its time in the local
 * zone as Go's RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00"),
 * then type, action, actor id and the attributes sorted by key; or a
 * --format template over the message.
 */
import { UsageError } from '../errors.js'
import { eventJson, templateData, type EventMessage } from '../events/event-message.js'
import { unescapeFormat } from './format/format-list.js'
import { compileTemplate, TemplateError } from './format/template-exec.js'
import { localRfc3339 } from './local-time.js'

export function eventTime(timeNano: bigint): string {
  return localRfc3339(new Date(Number(timeNano / 1_000_000n)), String(timeNano % 1_000_000_000n).padStart(9, '0'))
}

export function prettyEvent(e: EventMessage): string {
  const attrs = Object.keys(e.Actor.Attributes)
    .sort()
    .map((k) => `${k}=${e.Actor.Attributes[k]}`)
  return `${eventTime(e.timeNano)} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length > 0 ? ` (${attrs.join(', ')})` : ''}\n`
}

/** The printer --format asks for: the default line, `json`, or a Go template. */
export function eventPrinter(format: string | undefined): (e: EventMessage) => string {
  if (format === undefined || format === '') return prettyEvent
  if (format === 'json') return (e) => `${eventJson(e)}\n`
  let t: ReturnType<typeof compileTemplate>
  try {
    t = compileTemplate(unescapeFormat(format))
  } catch (err) {
    if (err instanceof TemplateError) throw new UsageError(`template parsing error: ${err.message}`, { cause: err })
    throw err
  }
  return (e) => {
    try {
      return `${t.execute(templateData(e))}\n`
    } catch (err) {
      if (err instanceof TemplateError) throw new UsageError(err.message, { cause: err })
      throw err
    }
  }
}
