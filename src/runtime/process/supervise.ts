/**
 * Stay with a launched process until it exits: its terminal (with -t), the
 * runtime's signals forwarded to it, its exit status. Shared by `run` and
 * `exec` in the foreground.
 *
 * When the runtime's own terminal goes away (an SSH connection drops, a
 * tmux session is killed: SIGHUP, end of file or EIO on the terminal, or its
 * stdout pipe losing its reader), the process must not run on unattended
 * for good, nor the runtime with it, reparented to init and holding the pty:
 * the session ends the way a closed terminal ends one. With -t the pty
 * master is closed (the kernel hangs the container's terminal up: SIGHUP to
 * its session and foreground group); without it SIGHUP is forwarded. A
 * PID 1 ignores SIGHUP unless it asked for it (pid_namespaces(7)), so after
 * a grace period the process is killed, and the caller cleans up as usual
 * (--rm included). Without -t a SIGHUP alone is only forwarded, as Docker's
 * CLI does (`kill -HUP` reloads many a daemon): the terminal or pipe the
 * runtime writes to hanging up is what ends the session then.
 */
import { closeSync, fstatSync, readFileSync } from 'node:fs'
import * as processCalls from '../../native/process-calls.js'
import { execErrorOf, exitCodeOf } from './exit-status.js'
import type { Host } from './host.js'
import type { Launched } from './run-host-steps.js'
import { drainInBackground } from '../../drain-fd.js'
import { attachTerminal, type DetachInput } from './terminal.js'

export { execErrorOf, exitCodeOf, ExecError } from './exit-status.js'

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']

/** How long a process whose terminal hung up may take to end by itself before it is killed. */
export const HANGUP_GRACE_MS = 2000

export interface SuperviseOptions {
  /** The runtime is the process's foreground: its signals are caught (and forwarded), its outputs' hangup watched. */
  forwardSignals: boolean
  /**
   * With forwardSignals: the runtime keeps its signals, given here instead
   * of to the process (run --sig-proxy=false). The hangup of its outputs
   * still ends the session: the terminal the process writes to is gone.
   */
  ownSignal?: (signal: NodeJS.Signals) => void
  /** The signals held since before the process could run (holdSignals): forwarded first, in order. */
  held?: HeldSignals
  /** Called once the command runs (its final execve succeeded). */
  onRunning?: () => void
  /** -t without -i: the container's terminal gets no input from ours. */
  input?: boolean
  /** -t with run -a not naming stdout: its terminal's output is not shown. Default true. */
  output?: boolean
  /** exec -it's detach keys: what of the input goes on, and whether they were typed (then the process is left running: 'detached'). */
  detachFilter?: DetachInput['filter']
}

/**
 * Whether SIGHUP was ignored when this process started (nohup(1)): then a
 * hangup is not ours to act on. Node would replace SIG_IGN with its own
 * handler, so this is read from /proc/self/status (proc(5): SigIgn).
 */
function hangupIgnored(): boolean {
  const m = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return m !== null && (BigInt(`0x${m[1]}`) & 1n) === 1n
}

export interface HeldSignals {
  /** SIGHUP was ignored when the runtime started (then it is neither held nor forwarded). */
  readonly ignoresHangup: boolean
  /** Stop holding; the signals held, in the order they came. */
  release(): NodeJS.Signals[]
}

/**
 * Hold the signals superviseProcess forwards, from just before the process
 * can run until it forwards them. Without a listener SIGTERM, SIGINT,
 * SIGHUP... take their default action and kill the runtime: the container
 * runs (and may print, and its user signal the runtime) while the runtime
 * still records its start, and a runtime killed then leaves it running,
 * unwatched, holding the caller's stdout. Held, they reach it once it is
 * supervised.
 */
export function holdSignals(): HeldSignals {
  // read before a listener replaces SIG_IGN with Node's handler
  const ignoresHangup = hangupIgnored()
  const held: NodeJS.Signals[] = []
  const hold = (signal: NodeJS.Signals) => void held.push(signal)
  const signals = FORWARDED_SIGNALS.filter((s) => s !== 'SIGHUP' || !ignoresHangup)
  for (const s of signals) process.on(s, hold)
  let released = false
  return {
    ignoresHangup,
    release() {
      if (!released) for (const s of signals) process.off(s, hold)
      released = true
      return held.splice(0)
    },
  }
}

/**
 * How long a container runs before its runtime watches its outputs: the
 * watch is a thread of libuv's pool, whose first use starts four (2-3 ms),
 * which a short run does without. A reader gone meanwhile is found then
 * (poll(2) reports a hangup that happened before it was called).
 */
export const HANGUP_WATCH_AFTER_MS = 200

/** watchOutputs once the container has run HANGUP_WATCH_AFTER_MS; returns a stop function. */
function watchOutputsSoon(onHangup: () => void): () => void {
  let stop: (() => void) | undefined
  const soon = setTimeout(() => {
    try {
      stop = watchOutputs(onHangup)
    } catch {
      // no pipe for the watch (EMFILE): the container runs on unwatched, as
      // it would with outputs that cannot hang up, rather than its runtime
      // dying of an exception in a timer
    }
  }, HANGUP_WATCH_AFTER_MS)
  soon.unref() // the wait for the exit keeps the process alive, not this
  return () => {
    clearTimeout(soon)
    stop?.()
  }
}

/**
 * Watch the runtime's stdout and stderr, when they are pipes, sockets or
 * terminals, for a hangup (their reader gone); returns a stop function.
 */
function watchOutputs(onHangup: () => void): () => void {
  const fds = [1, 2].filter((fd) => {
    try {
      const st = fstatSync(fd)
      // isTerminal, not node:tty's isatty: that loads tty, net and stream (3 ms)
      return st.isFIFO() || st.isSocket() || (st.isCharacterDevice() && processCalls.isTerminal(fd))
    } catch {
      return false
    }
  })
  if (fds.length === 0) return () => undefined
  const [wakeRead, wakeWrite] = processCalls.pipe()
  let stopped = false
  processCalls.waitHangup(fds, wakeRead).then(
    (i) => {
      if (!stopped && i < fds.length) onHangup()
    },
    () => undefined,
  ).finally(() => closeSync(wakeRead))
  return () => {
    if (stopped) return
    stopped = true
    closeSync(wakeWrite) // end of file on wakeRead: the watching thread returns
  }
}

/**
 * Resolves to the exit code; a failed start throws a StepError, or an
 * ExecError (126, 127) when the command itself could not be executed.
 * Call it right after runHostSteps, before anything else awaits: the
 * child's exit is waited for from the start.
 */
export async function superviseProcess(launched: Launched, host: Host, o: SuperviseOptions & { detachFilter: SuperviseOptions['detachFilter'] }): Promise<number | 'detached'>
export async function superviseProcess(launched: Launched, host: Host, o: SuperviseOptions): Promise<number>
export async function superviseProcess(launched: Launched, host: Host, o: SuperviseOptions): Promise<number | 'detached'> {
  const exited = processCalls.exitStatus(launched.pid)
  let ended = false
  void exited.then(() => (ended = true), () => (ended = true))
  const forward = (signal: NodeJS.Signals) => {
    if (ended) return
    try {
      host.kill(launched.pid, signal)
    } catch {
      // it exited meanwhile
    }
  }
  let terminal: ReturnType<typeof attachTerminal> | undefined
  let grace: NodeJS.Timeout | undefined
  let hungUp = false
  const onHangup = () => {
    if (hungUp || ended) return
    hungUp = true
    if (terminal) terminal.hangUp()
    else forward('SIGHUP')
    grace = setTimeout(() => forward('SIGKILL'), HANGUP_GRACE_MS)
  }
  const ignoresHangup = o.forwardSignals && (o.held ? o.held.ignoresHangup : hangupIgnored())
  const watchHangup = o.forwardSignals && !ignoresHangup
  const relay = (signal: NodeJS.Signals) => (o.ownSignal ? o.ownSignal(signal) : signal === 'SIGHUP' && terminal ? onHangup() : forward(signal))
  const signals = FORWARDED_SIGNALS.filter((s) => s !== 'SIGHUP' || !ignoresHangup)
  // The relay listens before the holder stops: a signal's last listener
  // going closes its handle, and a signal caught but not yet emitted is
  // lost with it. In one synchronous step, so none reaches both.
  if (o.forwardSignals) for (const s of signals) process.on(s, relay)
  const early = o.held?.release() ?? []
  if (o.forwardSignals) for (const s of early) relay(s)
  let stopWatching = () => undefined as void
  // The detach keys (exec -it), once the command runs and until it has exited: the runtime leaves it its
  // terminal, which a drain holds and reads, puts the caller's back, and waits for the exit no more. Typed
  // ahead of the start, they take effect once it runs; a start that fails is reported as ever.
  let running = false
  let typedAhead: number | undefined
  let detach = (): void => undefined
  const detached = new Promise<'detached'>((resolve) => (detach = () => resolve('detached')))
  const leave = (master: number) => {
    if (!running) typedAhead = master
    // no drain: staying attached is better than a command hung up
    else if (!ended && drainInBackground(master, 'mini-run-exec-drain')) {
      terminal?.close()
      processCalls.forgetExit(launched.pid)
      detach()
    }
  }
  try {
    const receiver = launched.resources.fds.get('pty-receiver')
    if (receiver !== undefined) {
      launched.resources.fds.delete('pty-receiver')
      // the master arrives before the final execve, or the socket closes on failure
      const master = await processCalls.recvFd(receiver).catch(() => undefined)
      host.close(receiver)
      if (master !== undefined) terminal = attachTerminal(master, { input: o.input !== false, output: o.output !== false, ...(watchHangup && { onHangup }), ...(o.detachFilter && { detachInput: { filter: o.detachFilter, onDetach: () => leave(master) } }) })
    }
    const failure = await launched.started
    if (failure) {
      terminal?.close()
      await exited
      throw execErrorOf(failure) ?? failure
    }
    o.onRunning?.()
    running = true
    if (typedAhead !== undefined) leave(typedAhead)
    if (watchHangup) stopWatching = watchOutputsSoon(onHangup)
    const status = await Promise.race([exited, detached])
    if (status === 'detached') return status
    await terminal?.finished()
    return exitCodeOf(status)
  } finally {
    stopWatching()
    if (grace !== undefined) clearTimeout(grace)
    if (o.forwardSignals) for (const s of signals) process.off(s, relay)
  }
}
