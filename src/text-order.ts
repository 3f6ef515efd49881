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

/**
 * A map's entries in the order Go's encoding/json writes them and its
 * templates range over them: keys sorted by their bytes. Docker's inspect
 * output and the configs its builder writes list labels, exposed ports and
 * volumes so; JSON.stringify keeps insertion order.
 */
export function goMapOrder<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** An image config's maps (Labels, ExposedPorts, Volumes) in goMapOrder; a copy when any is there. */
export function configMapsInGoOrder<C extends { Labels?: Record<string, string> | null; ExposedPorts?: Record<string, unknown> | null; Volumes?: Record<string, unknown> | null }>(c: C): C {
  const out = { ...c }
  for (const key of ['Labels', 'ExposedPorts', 'Volumes'] as const) {
    const map = c[key]
    if (map) (out as Record<string, unknown>)[key] = goMapOrder(map)
  }
  return out
}
