/**
 * One line of comma-separated fields as Go's encoding/csv reads it, which
 * is how Docker's CLI reads --mount (docker/cli opts/mount.go): a field in
 * double quotes may hold commas ("volume-opt=o=size=10m,uid=1000"), and ""
 * inside it is one quote. Pure.
 */
import { UsageError } from '../../errors.js'

export function csvFields(line: string, flag: string): string[] {
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (line[i] === '"') {
      let field = ''
      i++
      for (;;) {
        const quote = line.indexOf('"', i)
        if (quote < 0) throw new UsageError(`invalid ${flag}: extraneous or missing " in quoted-field`)
        field += line.slice(i, quote)
        i = quote + 1
        if (line[i] !== '"') break
        field += '"'
        i++
      }
      if (i < line.length && line[i] !== ',') throw new UsageError(`invalid ${flag}: extraneous or missing " in quoted-field`)
      fields.push(field)
    } else {
      const comma = line.indexOf(',', i)
      const field = line.slice(i, comma < 0 ? line.length : comma)
      if (field.includes('"')) throw new UsageError(`invalid ${flag}: bare " in non-quoted-field`)
      fields.push(field)
      i = comma < 0 ? line.length : comma
    }
    if (i >= line.length) return fields
    i++ // the comma
  }
}
