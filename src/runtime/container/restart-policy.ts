/**
 * Docker's restart policies (`--restart`), decided as moby's restart
 * manager decides them (restartmanager/restartmanager.go):
 *
 *   no               never
 *   on-failure[:N]   when it exited with a code other than 0, at most N times (0: no limit)
 *   always           whatever the exit code
 *   unless-stopped   the same here: the two differ only when a daemon restarts, and there is none
 *
 * A container stopped or killed by the user is not started again, whatever
 * the policy (moby cancels its restart manager on stop). Between two starts
 * it waits: 100 ms, doubled after each restart up to one minute, back to
 * 100 ms once a run lasted 10 seconds.
 *
 * Who carries it out: the container's monitor (native/monitor.c) writes the
 * exit record, then execs its exit command, `mini-run internal restart ID`
 * (restart-container.ts), which reads the policy from the state and decides.
 * The monitor stays policy-free: it only reports the exit.
 */
import { UsageError } from '../../errors.js'
import type { RestartPolicy } from './state.js'

export type { RestartPolicy }

const INITIAL_DELAY_MS = 100
const MAX_DELAY_MS = 60_000
/** A run at least this long resets the back-off. */
const RESET_AFTER_MS = 10_000

/**
 * `--restart` as Docker parses it: the CLI's opts.ParseRestartPolicy (name,
 * then a count after the first colon), then the daemon's
 * ValidateRestartPolicy; each refusal in their words.
 */
export function parseRestartPolicy(text: string): RestartPolicy {
  const colon = text.indexOf(':')
  const name = colon < 0 ? text : text.slice(0, colon)
  const count = colon < 0 ? undefined : text.slice(colon + 1)
  if (colon === 0) throw new UsageError('invalid restart policy format: no policy provided before colon')
  // strconv.Atoi: an optional sign and digits
  if (count !== undefined && count !== '' && !/^[+-]?\d+$/.test(count)) throw new UsageError('invalid restart policy format: maximum retry count must be an integer')
  const retries = count ? Number(count) : 0
  switch (name) {
    case '':
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (retries !== 0) {
        throw new UsageError(`invalid restart policy: maximum retry count can only be used with 'on-failure'${retries < 0 ? ' and cannot be negative' : ''}`)
      }
      return { name: name || 'no', maximumRetryCount: 0 }
    case 'on-failure':
      if (retries < 0) throw new UsageError('invalid restart policy: maximum retry count cannot be negative')
      return { name, maximumRetryCount: retries }
    default:
      throw new UsageError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`)
  }
}

/** "on-failure:2", "always": how inspect and ps show it. */
export function formatRestartPolicy(p: RestartPolicy | undefined): string {
  if (!p) return 'no'
  return p.name === 'on-failure' && p.maximumRetryCount > 0 ? `${p.name}:${p.maximumRetryCount}` : p.name
}

export interface ExitFacts {
  exitCode: number
  /** How long the run that ended lasted. */
  ranMs: number
  /** Restarts so far (Docker's RestartCount). */
  restartCount: number
  stoppedByUser: boolean
  /** The delay before the previous restart, if there was one. */
  previousDelayMs?: number
}

/** Whether to start it again, and after how long. */
export function decideRestart(policy: RestartPolicy | undefined, f: ExitFacts): { restart: false } | { restart: true; delayMs: number } {
  if (!policy || policy.name === 'no' || f.stoppedByUser) return { restart: false }
  if (policy.name === 'on-failure') {
    if (f.exitCode === 0) return { restart: false }
    if (policy.maximumRetryCount > 0 && f.restartCount >= policy.maximumRetryCount) return { restart: false }
  }
  const previous = f.ranMs >= RESET_AFTER_MS ? undefined : f.previousDelayMs
  const delayMs = previous === undefined ? INITIAL_DELAY_MS : Math.min(previous * 2, MAX_DELAY_MS)
  return { restart: true, delayMs }
}
