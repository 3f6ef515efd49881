/**
 * `compose logs`: the json-file logs of a project's containers
 * (runtime/container/container-logs.ts), read side by side; with follow,
 * until every one of them has stopped. Each chunk goes to `write` with its
 * container: the CLI prefixes the lines.
 */
import { readLogs } from '../runtime/container/container-logs.js'
import { inspectState, logFile, monitorAlive } from '../runtime/container/containers.js'
import { readState } from '../runtime/container/state.js'
import type { ServiceContainer } from './project-containers.js'

export interface ProjectLogsOptions {
  follow?: boolean
  tail?: number
  timestamps?: boolean
  /** Only lines logged from, or up to, this time (container-logs.ts logTime). */
  since?: string
  until?: string
  write: (c: ServiceContainer, stream: 'stdout' | 'stderr', text: string) => void | Promise<void>
  /** Following: a container's log has ended (it stopped), its last chunk written. */
  onEnd?: (c: ServiceContainer) => void | Promise<void>
}

export async function projectLogs(stateRoot: string, containers: readonly ServiceContainer[], o: ProjectLogsOptions): Promise<void> {
  await Promise.all(
    containers.map(async (c) => {
      await readLogs(logFile(stateRoot, c.info.id), {
        ...(o.tail !== undefined ? { tail: o.tail } : {}),
        ...(o.since !== undefined ? { since: o.since } : {}),
        ...(o.until !== undefined ? { until: o.until } : {}),
        timestamps: o.timestamps === true,
        follow: o.follow === true,
        // followed while it runs, and while its restart policy starts it again: the new run logs to the
        // same file, and Docker Compose's logs -f goes on with it
        running: () => {
          try {
            const state = readState(stateRoot, c.info.id)
            const now = inspectState(stateRoot, state)
            return now.status === 'running' || now.restarting || monitorAlive(state)
          } catch {
            return false
          }
        },
        write: (stream, text) => o.write(c, stream, text),
      })
      if (o.follow) await o.onEnd?.(c)
    }),
  )
}

/**
 * Lines prefixed with their container's name, padded to a common width
 * (`web-1  | `), coloured on a terminal as Docker Compose colours them; a
 * line cut between two chunks gets its prefix once.
 */
export class LinePrefixer {
  private readonly atLineStart = new Map<string, boolean>()
  private readonly colours = new Map<string, string>()
  constructor(
    private readonly width: number,
    private readonly colour: boolean,
  ) {}

  private static readonly PALETTE = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94']

  prefix(name: string): string {
    const padded = `${name.padEnd(this.width)} | `
    if (!this.colour) return padded
    let c = this.colours.get(name)
    if (!c) {
      c = LinePrefixer.PALETTE[this.colours.size % LinePrefixer.PALETTE.length]!
      this.colours.set(name, c)
    }
    return `\x1b[${c}m${padded}\x1b[0m`
  }

  /** `key` tells apart the streams whose lines may be cut (a container's stdout and stderr). */
  format(key: string, name: string, text: string): string {
    let out = ''
    let start = this.atLineStart.get(key) ?? true
    for (const piece of text.split(/(?<=\n)/)) {
      if (piece === '') continue
      out += (start ? this.prefix(name) : '') + piece
      start = piece.endsWith('\n')
    }
    this.atLineStart.set(key, start)
    return out
  }
}
