/**
 * The terminal side of an attach (`attach`, `start -a`, `run -it`): the
 * caller's terminal raw while it relays to a container's pty, its size
 * followed, the detach keys watched, signals passed on (Docker's
 * --sig-proxy), and the container's output printed as it comes. The bytes
 * go through the monitor's attach socket (runtime/container/attach-container.ts).
 */
import type { AttachConnection } from '../runtime/container/attach-container.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { DEFAULT_DETACH_KEYS, DetachWatcher, parseDetachKeys, reportDetached } from './detach-keys.js'

export interface SessionOptions {
  /** Relay our stdin to the container. */
  stdin: boolean
  detachKeys?: string
  /**
   * Pass SIGINT, SIGTERM... on to the container, as the caller decides:
   * Docker's `run` does with a pty too (^C is a byte then, but a kill(1) of
   * the CLI reaches the container: docker/cli#1841), its `attach` and
   * `start -a` only without one.
   */
  sigProxy: boolean
  /**
   * `run -it`: when the caller's terminal goes away (SIGHUP), the container
   * goes too, as a foreground run's does: SIGHUP to it, then SIGKILL to
   * every process of it if it has not ended within HANGUP_GRACE_MS.
   */
  endOnHangup?: boolean
  /** run -a: the output streams to show (default both; a terminal's output is stdout's). */
  streams?: { stdout: boolean; stderr: boolean }
}

const HANGUP_GRACE_MS = 2000

export interface SessionResult {
  /** The container's exit code; undefined when the session ended first. */
  exitCode?: number
  /** The detach keys were typed. */
  detached: boolean
}

const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']
const IGNORED_UNPROXIED: NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2']

export async function attachSession(stateRoot: string, c: ContainerInfo, o: SessionOptions): Promise<SessionResult> {
  const keys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS)
  const tty = c.spec?.process.terminal === true
  const { attachContainer } = await import('../runtime/container/attach-container.js')
  const conn: AttachConnection = await attachContainer(stateRoot, c, {
    output: (stream, data) => {
      if (o.streams && !o.streams[stream]) return
      ;(stream === 'stderr' ? process.stderr : process.stdout).write(data)
    },
  })
  const stdin = process.stdin
  const stdout = process.stdout
  const raw = o.stdin && tty && stdin.isTTY === true
  let detached = false
  const cleanups: (() => void)[] = []
  // before anything awaits: output may be shown meanwhile, and whoever saw it may signal us
  if (o.sigProxy) {
    const forward = (signal: NodeJS.Signals) => {
      void (async () => {
        const { findContainer } = await import('../runtime/container/containers.js')
        const { signalContainer } = await import('../runtime/container/stop-container.js')
        try {
          signalContainer(findContainer(stateRoot, c.id), signal)
        } catch {
          // it exited meanwhile
        }
      })()
    }
    const proxied = PROXIED.filter((s) => !(o.endOnHangup && s === 'SIGHUP'))
    for (const s of proxied) process.on(s, forward)
    cleanups.push(() => {
      for (const s of proxied) process.off(s, forward)
    })
  } else {
    // kept, they do nothing, as in Docker's CLI (Go's runtime ignores them); a
    // SIGUSR1 without a listener would open Node's inspector on port 9229
    const ignore = () => undefined
    for (const s of IGNORED_UNPROXIED) process.on(s, ignore)
    cleanups.push(() => {
      for (const s of IGNORED_UNPROXIED) process.off(s, ignore)
    })
  }

  if (raw) {
    stdin.setRawMode(true)
    // libuv's raw mode keeps output post-processing; the container's pty already does it
    if (stdout.isTTY) (await import('../native/process-calls.js')).ttyClearOpost(1)
    cleanups.push(() => stdin.setRawMode(false))
  }
  if (tty && stdout.isTTY) {
    const resize = () => {
      if (stdout.rows && stdout.columns) conn.resize(stdout.rows, stdout.columns)
    }
    resize()
    stdout.on('resize', resize)
    cleanups.push(() => stdout.off('resize', resize))
  }
  if (o.stdin) {
    const watcher = new DetachWatcher(keys)
    const onData = (chunk: Buffer) => {
      const { pass, detach } = watcher.filter(chunk)
      if (pass.length) conn.sendStdin(pass)
      if (detach) {
        detached = true
        conn.close()
      }
    }
    const onEnd = () => conn.closeStdin()
    stdin.on('data', onData)
    stdin.on('end', onEnd)
    stdin.resume()
    cleanups.push(() => {
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      stdin.pause()
    })
  }
  // a terminal that went away fails every write to it: nothing is left to tell
  const quiet = () => undefined
  stdout.on('error', quiet)
  process.stderr.on('error', quiet)
  stdin.on('error', quiet)
  cleanups.push(() => {
    stdout.off('error', quiet)
    process.stderr.off('error', quiet)
    stdin.off('error', quiet)
  })
  if (o.endOnHangup) {
    const hangup = () => {
      void (async () => {
        const { findContainer } = await import('../runtime/container/containers.js')
        const { killAll, signalContainer } = await import('../runtime/container/stop-container.js')
        try {
          signalContainer(findContainer(stateRoot, c.id), 'SIGHUP')
        } catch {
          // gone already
        }
        setTimeout(() => {
          try {
            const now = findContainer(stateRoot, c.id)
            if (now.status === 'running') killAll(now)
          } catch {
            // gone already
          }
        }, HANGUP_GRACE_MS).unref()
      })()
    }
    process.on('SIGHUP', hangup)
    cleanups.push(() => process.off('SIGHUP', hangup))
  }
  try {
    const exitCode = await conn.done
    return { ...(exitCode !== undefined ? { exitCode } : {}), detached }
  } finally {
    for (const undo of cleanups.reverse()) undo()
  }
}

/** `start -a [-i]`: start it under a monitor that holds its output for us, then attach. */
export async function startAttached(stateRoot: string, c: ContainerInfo, o: { stdin: boolean; sigProxy: boolean; detachKeys?: string }): Promise<number> {
  const { startExisting } = await import('../runtime/container/start-existing.js')
  let info = c
  if (c.status !== 'running') {
    const started = await startExisting(stateRoot, c, { monitor: { waitAttach: true } })
    info = { ...c, ...started, status: 'running', paused: false, restarting: false }
  }
  return finishSession(stateRoot, info, await attachSession(stateRoot, info, o), { reportDetach: false })
}

/**
 * The exit code of the command that attached: the container's, 0 after a
 * detach from `run -it` or `start` (Docker returns nil there), and for
 * `attach` Docker's "read escape sequence" with 1.
 */
export async function finishSession(stateRoot: string, c: ContainerInfo, r: SessionResult, o: { reportDetach: boolean }): Promise<number> {
  if (r.detached) return o.reportDetach ? reportDetached() : 0
  if (r.exitCode !== undefined) return r.exitCode
  // the connection ended without an exit code: its monitor is gone, or it was replaced (a restart)
  const { waitContainer } = await import('../runtime/container/wait-container.js')
  return waitContainer(stateRoot, c)
}
