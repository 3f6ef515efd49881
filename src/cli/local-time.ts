/**
 * Go's RFC 3339 in the local zone, as Docker's CLI prints times:
 * "2024-05-01T12:00:00+02:00" (time.RFC3339), or with a fraction of the
 * second given ("…:00.000000000+02:00", RFC3339NanoFixed).
 */
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

export function localRfc3339(d: Date, fraction?: string): string {
  const offset = -d.getTimezoneOffset()
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  const second = fraction === undefined ? '' : `.${fraction}`
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${second}${zone}`
}
