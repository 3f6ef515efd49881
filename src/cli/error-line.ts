import { describeError } from '../errors.js'
import { logLevelEnabled } from '../log.js'

let json = false

/** From now on, an error's line is JSON, as docker compose's with --progress json: {"error":true,"message":...}. */
export function errorsAsJson(): void {
  json = true
}

/**
 * The line an error gets on stderr: its message, in the user's words; with
 * `--log-level debug`, the runtime's own (a failed step's place in the plan,
 * the store's paths), when the error has them.
 */
export function errorLine(err: unknown): string {
  const detail = (err as { detail?: unknown } | null)?.detail
  const message = typeof detail === 'string' && logLevelEnabled('debug') ? detail : describeError(err)
  return json ? `${JSON.stringify({ error: true, message })}\n` : `mini-run: ${message}\n`
}
