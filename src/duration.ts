/**
 * Go's time.Duration syntax, which Docker uses wherever a time is given
 * (HEALTHCHECK --interval, --health-timeout, compose's stop_grace_period):
 * "30s", "1m30s", "500ms", "1.5h". In nanoseconds, as Docker stores them.
 */
import { UsageError } from './errors.js'

// (\u00b5: the bundle must stay ASCII)
const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, '\u00b5s': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }

/** A Go duration ("30s", "1m30s", "500ms") in nanoseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/gy
  let total = 0
  let matched = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!
    matched = re.lastIndex
  }
  if (text === '0') return 0
  if (text === '' || matched !== text.length) throw new UsageError(`invalid duration "${text}" (e.g. 30s, 1m30s, 500ms)`)
  return Math.round(total)
}

/** Nanoseconds as Go prints a duration: "1m30s", "500ms", "0s". */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s'
  if (ns < 1e9) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : `${ns / 1e3}us`
  const h = Math.floor(ns / 3600e9)
  const m = Math.floor((ns % 3600e9) / 60e9)
  const s = (ns % 60e9) / 1e9
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`
}
