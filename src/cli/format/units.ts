/** How Docker prints sizes and times: the units its Go libraries use. */

/** "4.26MB": go-units HumanSizeWithPrecision(size, 3), Docker's SIZE column (decimal units). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`
}

/** "4.262MB": go-units HumanSize (4 significant digits), which `system df` and the prunes print. */
export function humanSize4(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${Number(value.toPrecision(4))}${units[unit]}`
}

/** Go's time.Time.String() in UTC: "2006-01-02 15:04:05 +0000 UTC". */
export function goTime(iso: string): string {
  const d = new Date(iso)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`
}
