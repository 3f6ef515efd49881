import { describeError } from '../errors.js'
import { logLevelEnabled } from '../log.js'

/**
 * The line an error gets on stderr: its message, in the user's words; with
 * `--log-level debug`, the runtime's own (a failed step's place in the plan,
 * the store's paths), when the error has them.
 */
export function errorLine(err: unknown): string {
  const detail = (err as { detail?: unknown } | null)?.detail
  return `mini-run: ${typeof detail === 'string' && logLevelEnabled('debug') ? detail : describeError(err)}\n`
}
