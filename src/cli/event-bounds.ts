/**
 * `events --since/--until` (and compose's) in nanoseconds since the epoch:
 * the forms `logs --since` takes (log-time.ts: RFC 3339, Unix seconds,
 * a duration before now), the fraction kept to the nanosecond as typed,
 * since an event's timeNano is compared with it.
 */
import { parseLogTime } from './log-time.js'

export function eventBound(text: string, flag: string, now = Date.now()): bigint {
  const ms = parseLogTime(text, flag, now)
  const fraction = /^\d+\.(\d{1,9})$/.exec(text)?.[1] ?? /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.(\d+)(?:Z|[+-]\d{2}:\d{2})?$/.exec(text)?.[1]
  if (fraction === undefined) return BigInt(Math.round(ms * 1e6))
  return BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9))
}

export interface EventWindow {
  since?: bigint
  until?: bigint
  /** Read what the log holds already: --since or --until given (Docker's buffered events). */
  past: boolean
  /** Follow what comes: unless --until is already past. */
  follow: boolean
  stop: () => boolean
  includes: (timeNano: bigint) => boolean
}

export function eventWindow(flags: { since?: string; until?: string }): EventWindow {
  const now = Date.now()
  const since = flags.since !== undefined ? eventBound(flags.since, '--since', now) : undefined
  const until = flags.until !== undefined ? eventBound(flags.until, '--until', now) : undefined
  const nowNano = () => BigInt(Date.now()) * 1_000_000n
  return {
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
    past: since !== undefined || until !== undefined,
    follow: until === undefined || until > nowNano(),
    stop: () => until !== undefined && nowNano() >= until,
    includes: (t) => (since === undefined || t >= since) && (until === undefined || t <= until),
  }
}
