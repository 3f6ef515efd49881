/** Docker's CLI sorts names as github.com/fvbommel/sortorder does (network ls, the filters system prune lists). */

/** sortorder.NaturalLess (docker/cli's network ls): runs of digits compare by value ("net2" before "net10"). */
export function naturalOrder(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? []
  const x = chunks(a)
  const y = chunks(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!
    const q = y[i]!
    if (p === q) continue
    if (/^\d/.test(p) && /^\d/.test(q)) {
      const d = Number(p) - Number(q)
      if (d !== 0) return d
      // equal values: the shorter (fewer leading zeros) first
      return p.length - q.length
    }
    return p < q ? -1 : 1
  }
  return x.length - y.length
}
