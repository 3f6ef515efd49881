/**
 * The service's pre-started `mini-run` children. Every change the service
 * makes is a `mini-run VERB` child (cli-call.ts), and most of a short verb's
 * time is Node's own start (README, Start-up): ~60 ms of `mini-run rm`'s
 * ~110 here, and a `docker run --rm` is a create and a start. So the service
 * keeps a few children started ahead, each waiting in the launcher for its
 * line (src/cli/warm-line.ts), and hands the next verb to one of them: the
 * same executable, the same global options, the same environment, the
 * same fresh process per verb; only its start came earlier.
 *
 * A child waits with its stdin, stdout and stderr pipes already made; the
 * line goes in on a fourth, which it reads to the end. The service ends
 * the waiting ones when it closes (the end of that pipe without a line is a
 * child's silent exit), and a service killed outright ends them the same
 * way: the kernel closes its end of their pipes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'

/** How many wait by default: a `docker run`'s create and start come one after the other, each starting the next one's replacement. */
export const DEFAULT_WAITING = 2
/** The pipe a waiting child reads its line from. */
const LINE_FD = 3

interface Pool {
  /** The command every child runs: cli-call.ts cliArgv with no verb yet. */
  command: string[]
  size: number
  waiting: ChildProcess[]
}

let pool: Pool | undefined

/** Start keeping size children of this command waiting (0: none); again with the same command, nothing. */
export function startWarmPool(command: string[], size = DEFAULT_WAITING): void {
  if (pool && sameCommand(pool.command, command)) return
  stopWarmPool()
  if (size <= 0) return
  pool = { command, size, waiting: [] }
  refill(pool)
}

/** End the waiting children (each exits at its pipe's end) and keep no more. */
export function stopWarmPool(): void {
  const p = pool
  pool = undefined
  for (const child of p?.waiting ?? []) (child.stdio[LINE_FD] as Writable).end()
}

/**
 * A waiting child of this command running args, its stdin ended unless the
 * caller writes it (keepStdin); undefined when none waits (the pool is
 * stopped, empty, or started for other global options). A replacement
 * starts at once.
 */
export function warmSpawn(command: string[], args: string[], env: NodeJS.ProcessEnv | undefined, keepStdin: boolean): ChildProcess | undefined {
  const p = pool
  if (!p || !sameCommand(p.command, command)) return undefined
  const child = p.waiting.shift()
  refill(p)
  if (!child) return undefined
  hold(child, true)
  const line = JSON.stringify({ args, env: env ?? {} })
  ;(child.stdio[LINE_FD] as Writable).end(line)
  if (!keepStdin) child.stdin!.end()
  return child
}

function refill(p: Pool): void {
  while (pool === p && p.waiting.length < p.size) {
    const [file, ...rest] = p.command
    const child = spawn(file!, rest, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env: { ...process.env, MINI_RUN_WARM_FD: String(LINE_FD) } })
    // a child that could not start, or ended while it waited, is no longer one to hand out
    const drop = () => (p.waiting = p.waiting.filter((c) => c !== child))
    child.once('error', drop)
    child.once('exit', drop)
    ;(child.stdio[LINE_FD] as Writable).on('error', () => {})
    child.stdin!.on('error', () => {})
    // a waiting child keeps nothing of the service running (its pipes and its exit are the caller's once taken)
    hold(child, false)
    p.waiting.push(child)
    // a spawn that fails at once (no such file) would refill forever: one try per take
    if (child.pid === undefined) break
  }
}

/** Whether the child and its pipes keep the service's event loop alive. */
function hold(child: ChildProcess, yes: boolean): void {
  if (yes) child.ref()
  else child.unref()
  for (const stream of child.stdio) {
    const handle = stream as (Readable | Writable) & { ref?: () => void; unref?: () => void }
    if (yes) handle?.ref?.()
    else handle?.unref?.()
  }
}

const sameCommand = (a: string[], b: string[]) => a.length === b.length && a.every((w, i) => w === b[i])

/** The waiting children's pids, for a test to see them go. */
export function warmPids(): number[] {
  return (pool?.waiting ?? []).map((c) => c.pid).filter((pid): pid is number => pid !== undefined)
}
