/** `logs --details`: the attributes Docker writes before each log line. */

/** Go's url.QueryEscape: all but letters, digits and -_.~ escaped, a space as +. */
function queryEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+')
}

/**
 * --details, as Docker's daemon writes it (daemon/logs.go attrsByteSlice):
 * the attributes sorted by key, `k=v` query-escaped and joined by commas,
 * then a space, after the timestamp. With none, as here, the line gets a
 * lone leading space.
 */
export function detailsPrefix(attrs: Record<string, string> | undefined): string {
  const pairs = Object.entries(attrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `${pairs.map(([k, v]) => `${queryEscape(k)}=${queryEscape(String(v))}`).join(',')} `
}
