/**
 * The order listings sort by: case folded first (as localeCompare puts
 * "db" before "Web"), then UTF-16 code units (punctuation too: "api-2"
 * before "api_1", where ICU has an order of its own). Not localeCompare: its
 * first call loads ICU's collation data, 11 ms of every `ps`, `images` or
 * `inspect`, and what mini-run sorts (ids, ISO times, image and service
 * names) is ASCII that needs no locale.
 */
export function textOrder(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  if (x !== y) return x < y ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}
