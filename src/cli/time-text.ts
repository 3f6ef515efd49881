/**
 * `logs --since/--until` as Docker reads them (docker/cli opts
 * GetTimestamp): an RFC 3339 date or time (2013-01-02T13:23:37Z, with or
 * without a zone, seconds or minutes, or a date alone, with or without a zone), a Unix timestamp
 * (1136073600, 1136073600.000000001), or a duration before now (10m, 1h30m,
 * 1.5h; Go's time.ParseDuration units). Times without a zone are local, as
 * in Docker. "0" is Go's one duration without a unit, but GetTimestamp
 * takes it as the Unix time 0: `--since 0` is the whole log, not nothing.
 *
 * A file of its own, importing nothing but errors.js: the listing bundle
 * (images --filter until) takes it without the log reader log-time.ts has.
 */
import { UsageError } from '../errors.js'

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Go's time.ParseDuration, in milliseconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|ms|s|m|h))+$/.exec(text)
  if (!m) return undefined
  let total = 0
  for (const part of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!
  return m[1] === '-' ? -total : total
}

/** The moment as milliseconds since the epoch (fractions of a millisecond kept as a fraction). */
export function parseLogTime(text: string, flag: string, now = Date.now()): number {
  const duration = text === '0' ? undefined : parseGoDuration(text)
  if (duration !== undefined) return now - duration
  if (/^\d+(\.\d{1,9})?$/.test(text)) return Number(text) * 1000
  // RFC 3339 and the shorter forms Docker accepts; no zone: local time
  // (moby's timestamp.Parse: the hour alone, 2006-01-02T15, and a date with a zone, 2006-01-02Z07:00, too)
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?))?(Z|[+-]\d{2}:\d{2})?$/.exec(text)
  if (m) {
    const time = m[2] ?? '00:00:00'
    const t = Date.parse(`${m[1]}T${time.length === 2 ? `${time}:00:00` : time.length === 5 ? `${time}:00` : time}${m[3] ?? ''}`)
    if (!Number.isNaN(t)) return t
  }
  throw new UsageError(`invalid value for "${flag}": "${text}" is neither a time (RFC 3339, Unix timestamp) nor a duration (10m, 1h30m)`)
}
