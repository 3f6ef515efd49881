import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface EventsFlags {
  since?: string
  until?: string
  filter: string[]
  format?: string
}

/**
 * A --since/--until bound in nanoseconds since the epoch (the forms of
 * logs --since: log-time.ts), its fraction to the nanosecond as typed.
 */
async function bound(text: string, flag: string, now: number): Promise<bigint> {
  const { parseLogTime } = await import('../log-time.js')
  const ms = parseLogTime(text, flag, now)
  const fraction = /^\d+\.(\d{1,9})$/.exec(text)?.[1] ?? /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.(\d+)(?:Z|[+-]\d{2}:\d{2})?$/.exec(text)?.[1]
  if (fraction === undefined) return BigInt(Math.round(ms * 1e6))
  return BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9))
}

/**
 * `events` (and `system events`): what happened to containers, images,
 * networks and volumes, from the events log (src/events/). Without --until
 * it follows the log until it is interrupted, as Docker's does; --since and
 * --until print what the log holds since then first.
 */
async function events(flags: EventsFlags, cmd: Command): Promise<void> {
  const stateRoot = stateRootOf(cmd)
  const now = Date.now()
  const since = flags.since !== undefined ? await bound(flags.since, '--since', now) : undefined
  const until = flags.until !== undefined ? await bound(flags.until, '--until', now) : undefined
  const { parseEventFilters, eventMatches } = await import('../../events/event-filter.js')
  const { eventPrinter } = await import('../event-line.js')
  const { readEvents } = await import('../../events/read-events.js')
  const { writeStdout } = await import('../write-stdout.js')
  const filter = parseEventFilters(flags.filter)
  const print = eventPrinter(flags.format)
  const nowNano = () => BigInt(Date.now()) * 1_000_000n
  await readEvents(stateRoot, {
    past: since !== undefined || until !== undefined,
    // an --until already past: what the log holds, then the end
    follow: until === undefined || until > nowNano(),
    stop: () => until !== undefined && nowNano() >= until,
    onEvent: (e) => {
      if (since !== undefined && e.timeNano < since) return
      if (until !== undefined && e.timeNano > until) return
      if (eventMatches(filter, e)) writeStdout(print(e))
    },
  })
}

export function registerOn(parent: Command): void {
  parent
    .command('events')
    .description('print what happens to containers, images, networks and volumes, as it happens (from the events log)')
    .option('--since <time>', 'also the events since this time (RFC 3339, a Unix timestamp, or a duration before now: 10m, 1h30m)')
    .option('--until <time>', 'stop at this time (the same forms); one in the past prints the events logged until then and exits')
    .option('-f, --filter <key=value>', 'only events that match (type, event, container, image, label, network, volume; repeatable)', collect, [])
    .option('--format <format>', "'json', or a Go template over .Type, .Action, .Actor.ID, .Actor.Attributes, .Time, .TimeNano...")
    .action((flags: EventsFlags, cmd: Command) => events(flags, cmd))
}

export function register(program: Command): void {
  registerOn(program)
}
