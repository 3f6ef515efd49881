/**
 * `logs --since/--until` bounds as the log's lines are stamped; the times
 * themselves are read as Docker reads them by time-text.ts.
 */
import { logTime } from '../runtime/container/container-logs.js'
import { parseLogTime } from './time-text.js'

export { parseGoDuration, parseLogTime } from './time-text.js'

/**
 * A --since/--until bound as the log's times are written (logTime), to the
 * nanosecond given: a line's own -t timestamp as --until keeps that line,
 * as Docker's daemon compares to the nanosecond. A JavaScript Date holds
 * milliseconds, so the fraction is taken from the text.
 */
export function logBound(text: string, flag: string, now = Date.now()): string {
  const t = logTime(parseLogTime(text, flag, now))
  const fraction = /^\d+\.(\d{1,9})$/.exec(text)?.[1] ?? /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.(\d+)(?:Z|[+-]\d{2}:\d{2})?$/.exec(text)?.[1]
  return fraction === undefined ? t : `${t.slice(0, 20)}${fraction.padEnd(9, '0').slice(0, 9)}Z`
}
