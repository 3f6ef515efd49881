/** How Docker prints sizes and times: the units its Go libraries use. */

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** go-units' CustomSize: the largest unit the size reaches, `precision` significant digits. */
function customSize(bytes: number, precision: number, base: number, units: readonly string[]): string {
  let value = bytes
  let unit = 0
  while (value >= base && unit < units.length - 1) {
    value /= base
    unit++
  }
  return `${Number(value.toPrecision(precision))}${units[unit]}`
}

/** "4.26MB": go-units HumanSizeWithPrecision(size, 3), Docker's SIZE column (decimal units). */
export function humanSize(bytes: number): string {
  return customSize(bytes, 3, 1000, DECIMAL)
}

/** "4.262MB": go-units HumanSize (4 significant digits), which `system df` and the prunes print. */
export function humanSize4(bytes: number): string {
  return customSize(bytes, 4, 1000, DECIMAL)
}

/** "1.944GiB": go-units BytesSize (binary units, 4 significant digits), which `stats` prints. */
export function bytesSize(bytes: number): string {
  return customSize(bytes, 4, 1024, BINARY)
}

/** Go's time.Time.String() in UTC: "2006-01-02 15:04:05 +0000 UTC". */
export function goTime(iso: string): string {
  const d = new Date(iso)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`
}
