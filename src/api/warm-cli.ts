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

/** How many wait by default: a `docker run`'s create and start, one after the other. */
export const DEFAULT_WAITING = 2
/** How long after the last child handed out its replacements start; under lines that keep coming, at most REFILL_WITHIN_MS after the first. */
const REFILL_AFTER_MS = 300
const REFILL_WITHIN_MS = 1000
/** The pipe a waiting child reads its line from. */
const LINE_FD = 3

interface Pool {
  /** The command every child runs: cli-call.ts cliArgv with no verb yet. */
  command: string[]
  size: number
  waiting: ChildProcess[]
  refillTimer?: NodeJS.Timeout
  /** When the pending refill must run at the latest (Date.now() ms). */
  refillDue?: number
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
  clearTimeout(p?.refillTimer)
  for (const child of p?.waiting ?? []) (child.stdio[LINE_FD] as Writable).end()
}

/**
 * A waiting child of this command running args, its stdin ended unless the
 * caller writes it (keepStdin); undefined when none waits (the pool is
 * stopped, empty, or started for other global options, or the line is one
 * a waiting child would read otherwise: lineFits). Replacements start once
 * no line has come for REFILL_AFTER_MS.
 */
export function warmSpawn(command: string[], args: string[], env: NodeJS.ProcessEnv | undefined, keepStdin: boolean): ChildProcess | undefined {
  const p = pool
  if (!p || !sameCommand(p.command, command) || !lineFits(args, env)) return undefined
  // one killed while it waited (a Ctrl-C reaches the service's whole group) may not be reaped yet
  let child = p.waiting.shift()
  while (child && (child.exitCode !== null || child.signalCode !== null)) child = p.waiting.shift()
  // the replacements once the service has been quiet a moment: started at once, on a machine of
  // two cores, they took the CPU from this verb and the next (a `docker run`'s start comes ~70 ms
  // after its create, and the container's exit command after that)
  scheduleRefill(p)
  if (!child) return undefined
  setHeld(child, true)
  ;(child.stdio[LINE_FD] as Writable).end(JSON.stringify({ args, env: env ?? {} }))
  if (!keepStdin) child.stdin!.end()
  return child
}

/**
 * Whether a line means the same to a waiting child as to a fresh one: no
 * NUL (which spawn refuses), no variable unset (which JSON drops), and none
 * that Node or the launcher read at their start, before the line came
 * (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, MINI_RUN_LOG_LEVEL...). The service
 * sends DOCKER_CONFIG only; anything else gets a fresh child.
 */
function lineFits(args: string[], env: NodeJS.ProcessEnv | undefined): boolean {
  const entries = Object.entries(env ?? {})
  return ![...args, ...entries.flat()].some((w) => w === undefined || w.includes('\0')) && !entries.some(([k]) => /^(NODE_|MINI_RUN_)/.test(k))
}

function scheduleRefill(p: Pool): void {
  const now = Date.now()
  p.refillDue ??= now + REFILL_WITHIN_MS
  clearTimeout(p.refillTimer)
  p.refillTimer = setTimeout(() => refill(p), Math.min(REFILL_AFTER_MS, Math.max(0, p.refillDue - now))).unref()
}

function refill(p: Pool): void {
  delete p.refillDue
  while (pool === p && p.waiting.length < p.size) {
    const [file, ...rest] = p.command
    let child: ChildProcess
    try {
      child = spawn(file!, rest, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env: { ...process.env, MINI_RUN_WARM_FD: String(LINE_FD) } })
    } catch {
      // out of memory or of processes: the next verb starts a child of its own, as without a pool
      return
    }
    // no pipes (EMFILE, ENFILE: spawn returns before it makes them) or no process: none to hand out
    if (child.pid === undefined || !child.stdio[LINE_FD]) {
      child.once('error', () => {})
      return
    }
    // one that ended while it waited is no longer one to hand out, and is replaced
    child.once('exit', () => {
      if (pool !== p || !p.waiting.includes(child)) return
      p.waiting = p.waiting.filter((c) => c !== child)
      scheduleRefill(p)
    })
    child.once('error', () => {})
    ;(child.stdio[LINE_FD] as Writable).on('error', () => {})
    child.stdin!.on('error', () => {})
    // a waiting child keeps nothing of the service running (its pipes and its exit are the caller's once taken)
    setHeld(child, false)
    p.waiting.push(child)
  }
}

/** Whether the child and its pipes keep the service's event loop alive. */
function setHeld(child: ChildProcess, held: boolean): void {
  if (held) child.ref()
  else child.unref()
  for (const stream of child.stdio) {
    const handle = stream as (Readable | Writable) & { ref?: () => void; unref?: () => void } | null
    if (held) handle?.ref?.()
    else handle?.unref?.()
  }
}

const sameCommand = (a: string[], b: string[]) => a.length === b.length && a.every((w, i) => w === b[i])

/** The waiting children's pids, for a test to see them go. */
export function warmPids(): number[] {
  return (pool?.waiting ?? []).map((c) => c.pid).filter((pid): pid is number => pid !== undefined)
}
