/**
 * Date.prototype.toISOString's text ("2006-01-02T15:04:05.000Z") made from
 * the UTC fields. V8's first toISOString in a process costs 0.2 ms, the
 * getters microseconds, and `run` stamps a container's state (created,
 * startedAt, finishedAt) before it starts and after it exits.
 */
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

export function isoTime(date: Date = new Date()): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('Invalid time value')
  const y = date.getUTCFullYear()
  // beyond 0000-9999, toISOString's expanded years: a sign and six digits
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : `${y < 0 ? '-' : '+'}${pad(Math.abs(y), 6)}`
  return `${year}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}Z`
}
