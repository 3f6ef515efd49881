/**
 * The `.env` file beside a compose file, and `env_file:`: compose's dotenv
 * format (compose-go's, from godotenv): `KEY=VALUE`, an optional `export `
 * in front, `#` comments (after a value only when a space precedes them),
 * 'single quotes' taken literally, "double quotes" with \n, \t, \" and \\
 * escapes; unquoted and double-quoted values are interpolated with the
 * caller's variables, then the file's earlier lines. A `KEY` alone takes the caller's value, if any.
 */
import { ComposeError } from './compose-error.js'
import { interpolateString, type Lookup } from './interpolate.js'
import { At } from './compose-error.js'

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/

export function parseDotenv(text: string, file: string, outer: Lookup): Map<string, string> {
  const vars = new Map<string, string>()
  // compose-go's expandVariables: the caller's environment first, then the file's earlier lines
  const lookup: Lookup = (name) => outer(name) ?? vars.get(name)
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!.trim()
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('export ')) line = line.slice(7).trimStart()
    const eq = line.search(/[=:]/)
    const key = (eq < 0 ? line : line.slice(0, eq)).trim()
    const where = `line ${n + 1}`
    if (!KEY.test(key)) throw new ComposeError(file, [], `${where}: invalid variable name "${key}"`)
    if (eq < 0) {
      const v = outer(key)
      if (v !== undefined) vars.set(key, v)
      continue
    }
    let rest = line.slice(eq + 1).trimStart()
    let value: string
    const quote = rest[0]
    if (quote === "'" || quote === '"') {
      // a quoted value may go on over several lines
      let body = rest.slice(1)
      let close = closingQuote(body, quote)
      while (close < 0 && n + 1 < lines.length) {
        body += '\n' + lines[++n]!
        close = closingQuote(body, quote)
      }
      if (close < 0) throw new ComposeError(file, [], `${where}: the ${quote === '"' ? 'double' : 'single'} quote of ${key} is not closed`)
      const inner = body.slice(0, close)
      value = quote === "'" ? inner : interpolateString(unescape(inner), { lookup, unset: new Set() }, new At(file, [key]))
    } else {
      const comment = rest.search(/\s#/)
      if (comment >= 0) rest = rest.slice(0, comment)
      value = interpolateString(rest.trim(), { lookup, unset: new Set() }, new At(file, [key]))
    }
    vars.set(key, value)
  }
  return vars
}

function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === '\\') i++
    else if (body[i] === quote) return i
  }
  return -1
}

function unescape(text: string): string {
  return text.replace(/\\(.)/gs, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c)
}
