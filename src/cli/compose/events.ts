/**
 * `compose events [--json] [SERVICE...]`: the project's container events, as
 * Docker Compose streams them (pkg/compose/events.go): container events
 * whose com.docker.compose.project label is the project's, one-off
 * containers (`compose run`) left out, its compose labels dropped from the
 * attributes. Its line is Compose's api.Event.String() ("2006-01-02
 * 15:04:05.000000 container start ID (name=..., image=...)", with the blank
 * line its Fprintln adds after the event's own newline); --json is Compose's
 * object, keys sorted as Go marshals a map.
 */
import type { Command } from 'commander'
import type { EventMessage } from '../../events/event-message.js'
import { contextFor, loadFor } from './context.js'

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** Go's "2006-01-02 15:04:05.000000" in the local zone. */
function composeTime(timeNano: bigint): string {
  const d = new Date(Number(timeNano / 1_000_000n))
  const micro = pad(Number((timeNano % 1_000_000_000n) / 1000n), 6)
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${micro}`
}

/** Go's time.Time in JSON: RFC 3339 with the nanoseconds, trailing zeros cut. */
function jsonTime(timeNano: bigint, zoned: (timeNano: bigint) => string): string {
  return zoned(timeNano).replace(/\.?0+(?=Z|[+-]\d{2}:\d{2}$)/, '')
}

export async function eventsCommand(services: string[], flags: { json?: boolean; since?: string; until?: string }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services, { byName: true })
  const ctx = await contextFor(cmd)
  const [{ servicesWithContainers }, { LABELS }, { readEvents }, { eventWindow }, { eventTime }, { writeStdout }] = await Promise.all([
    import('../../compose/service-scope.js'),
    import('../../compose/labels.js'),
    import('../../events/read-events.js'),
    import('../event-bounds.js'),
    import('../event-line.js'),
    import('../write-stdout.js'),
  ])
  // by name alone, as Docker Compose's events (no project loaded, no service checked): a service whose
  // containers are gone still has its past events
  const wanted = services.length ? (project.fromLabels ? new Set(services) : servicesWithContainers(project, services)) : undefined
  const window = eventWindow(flags)
  const print = (e: EventMessage) => {
    const attrs = e.Actor.Attributes
    if (e.Type !== 'container' || attrs[LABELS.project] !== project.name || attrs[LABELS.oneoff] === 'True') return
    const service = attrs[LABELS.service] ?? ''
    if (wanted && !wanted.has(service)) return
    const attributes: Record<string, string> = {}
    for (const k of Object.keys(attrs).sort()) if (!k.startsWith('com.docker.compose.')) attributes[k] = attrs[k]!
    if (flags.json) {
      const time = jsonTime(e.timeNano, eventTime)
      writeStdout(`${JSON.stringify({ action: e.Action, attributes, id: e.Actor.ID, service, time, type: 'container' })}\n`)
    } else {
      const list = Object.entries(attributes).map(([k, v]) => `${k}=${v}`)
      writeStdout(`${composeTime(e.timeNano)} container ${e.Action} ${e.Actor.ID} (${list.join(', ')})\n\n`)
    }
  }
  await readEvents(ctx.stateRoot, {
    past: window.past,
    follow: window.follow,
    stop: window.stop,
    onEvent: (e) => {
      if (window.includes(e.timeNano)) print(e)
    },
  })
}
