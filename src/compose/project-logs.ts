/**
 * `compose logs`: the json-file logs of a project's containers
 * (runtime/container/container-logs.ts), read side by side; with follow,
 * until every one of them has stopped. Each chunk goes to `write` with its
 * container: the CLI prefixes the lines.
 */
import { readLogs } from '../runtime/container/container-logs.js'
import { inspectState, logFile, monitorAlive } from '../runtime/container/containers.js'
import { readState, type ContainerState } from '../runtime/container/state.js'
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

/**
 * Following, more containers to follow (`up --watch`: those a rebuild
 * made; one already followed is left), each from its own time on; and a hold, while which no follower
 * ends (a container a restart stops for a moment, or a rebuild replaces),
 * released by the function it returns.
 */
export interface LogFollowing {
  add(c: ServiceContainer, since: string): void
  hold(): () => void
}

export async function projectLogs(stateRoot: string, containers: readonly ServiceContainer[], o: ProjectLogsOptions & { onFollowing?: (f: LogFollowing) => void }): Promise<void> {
  let active = 0
  let held = 0
  const failures: unknown[] = []
  let allDone!: () => void
  const done = new Promise<void>((resolve) => (allDone = resolve))
  const settle = () => {
    if (--active === 0) allDone()
  }
  const followOne = async (c: ServiceContainer, since: string | undefined) => {
    await readLogs(logFile(stateRoot, c.info.id), {
      ...(o.tail !== undefined ? { tail: o.tail } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(o.until !== undefined ? { until: o.until } : {}),
      timestamps: o.timestamps === true,
      follow: o.follow === true,
      // followed while it runs, and while its restart policy starts it again: the new run logs to the
      // same file, and Docker Compose's logs -f goes on with it
      running: () => {
        if (held > 0) return true
        try {
          return stillFollowed(stateRoot, () => readState(stateRoot, c.info.id))
        } catch {
          return false
        }
      },
      write: (stream, text) => o.write(c, stream, text),
    })
    if (o.follow) await o.onEnd?.(c)
  }
  const followed = new Set<string>()
  const start = (c: ServiceContainer, since: string | undefined) => {
    // one follower per container: a second would print every line twice
    if (followed.has(c.info.id)) return
    followed.add(c.info.id)
    active++
    followOne(c, since)
      .catch((err: unknown) => void failures.push(err))
      .finally(settle)
  }
  for (const c of containers) start(c, o.since)
  if (o.follow && o.onFollowing) {
    o.onFollowing({
      add: (c, since) => start(c, since),
      hold: () => {
        active++
        held++
        let released = false
        return () => {
          if (released) return
          released = true
          held--
          settle()
        }
      },
    })
  }
  if (active > 0) await done
  if (failures.length) throw failures[0]
}

/**
 * Whether a follower of a container's log goes on: the container runs, its
 * restart policy is restarting it, or its monitor lives, as the exit command
 * it execs too (`internal cleanup`, which restarts it). By its name alone, a
 * monitor seen just after it wrote exit.json and exec'd, by a reader that
 * looked for exit.json just before, was gone, and the follower ended in the
 * middle of a restart. The restart writes the new run's pid and monitor
 * before its command exits: a state that changed since the first read is
 * that run, followed on. `read` reads the state (twice at most).
 */
export function stillFollowed(stateRoot: string, read: () => ContainerState): boolean {
  const state = read()
  const now = inspectState(stateRoot, state)
  if (now.status === 'running' || now.restarting || monitorAlive(state, { exitCommand: true })) return true
  const again = read()
  return again.pid !== state.pid || again.monitorPid !== state.monitorPid
}

/**
 * Lines prefixed with their container's name, padded to a common width
 * (`web-1  | `: Docker Compose's is the longest name's length and one),
 * coloured on a terminal as Docker Compose colours them; a line cut between
 * two chunks gets its prefix once. up --watch's own lines are `⦿ ` after
 * that width, in bright green (Docker Compose's "#watch" logger).
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

  /** A line of up --watch's own. */
  watch(text: string): string {
    const prefix = `${' '.repeat(this.width)} ⦿ `
    return `${this.colour ? `\x1b[92m${prefix}\x1b[0m` : prefix}${text}`
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
