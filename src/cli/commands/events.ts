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
 * `events` (and `system events`): what happened to containers, images,
 * networks and volumes, from the events log (src/events/). Without --until
 * it follows the log until it is interrupted, as Docker's does; --since and
 * --until print what the log holds since then first.
 */
async function events(flags: EventsFlags, cmd: Command): Promise<void> {
  const stateRoot = stateRootOf(cmd)
  const { eventWindow } = await import('../event-bounds.js')
  const window = eventWindow(flags)
  const { parseEventFilters, eventMatches } = await import('../../events/event-filter.js')
  const { eventPrinter } = await import('../event-line.js')
  const { readEvents } = await import('../../events/read-events.js')
  const { writeStdout } = await import('../write-stdout.js')
  const filter = parseEventFilters(flags.filter)
  const print = eventPrinter(flags.format)
  await readEvents(stateRoot, {
    past: window.past,
    // an --until already past: what the log holds, then the end
    follow: window.follow,
    stop: window.stop,
    onEvent: (e) => {
      if (window.includes(e.timeNano) && eventMatches(filter, e)) writeStdout(print(e))
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
