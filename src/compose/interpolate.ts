/**
 * Compose's variable interpolation, applied to every string value of a
 * file before it is validated (as compose-go does): `$VAR`, `${VAR}`,
 * `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?message}` / `${VAR?message}` (an error), `${VAR:+other}` /
 * `${VAR+other}`, and `$$` for a literal `$`. Defaults may hold further
 * substitutions. An unset variable without a default is an empty string
 * and a warning, as in Docker.
 */
import type { At } from './compose-error.js'

export type Lookup = (name: string) => string | undefined

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

export interface Interpolation {
  lookup: Lookup
  /** Unset variables met, each once: Docker warns "The "X" variable is not set. Defaulting to a blank string." */
  unset: Set<string>
}

/** The string with every substitution made; at names it in errors. */
export function interpolateString(text: string, ctx: Interpolation, at: At): string {
  if (!text.includes('$')) return text
  const [out, end] = substitute(text, 0, ctx, at, false)
  if (end !== text.length) throw at.error(`invalid interpolation format in "${text}"`)
  return out
}

/**
 * From `pos` to the end of the text, or (nested) to the `}` that closes a
 * default: returns the result and where it stopped.
 */
function substitute(text: string, pos: number, ctx: Interpolation, at: At, nested: boolean): [string, number] {
  let out = ''
  let i = pos
  while (i < text.length) {
    const c = text[i]!
    if (nested && c === '}') return [out, i]
    if (c !== '$') {
      out += c
      i++
      continue
    }
    const next = text[i + 1]
    if (next === '$') {
      out += '$'
      i += 2
    } else if (next === '{') {
      const [value, end] = braced(text, i + 2, ctx, at)
      out += value
      i = end
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0]
      if (!name) {
        // a lone "$" (or "$1"): compose-go keeps it as it is
        out += '$'
        i++
        continue
      }
      out += valueOf(name, ctx)
      i += 1 + name.length
    }
  }
  if (nested) throw at.error(`invalid interpolation format in "${text}": a "\${" is not closed`)
  return [out, i]
}

/** `${...}` from just after the brace; returns its value and the index after its `}`. */
function braced(text: string, pos: number, ctx: Interpolation, at: At): [string, number] {
  const name = NAME.exec(text.slice(pos))?.[0]
  if (!name) throw at.error(`invalid interpolation format in "${text}": a variable name must follow "\${"`)
  let i = pos + name.length
  if (text[i] === '}') return [valueOf(name, ctx), i + 1]
  const op = /^(:?[-?+])/.exec(text.slice(i))?.[1]
  if (!op) throw at.error(`invalid interpolation format in "${text}": "\${${name}" is followed by "${text[i] ?? ''}"`)
  i += op.length
  const [arg, end] = substitute(text, i, ctx, at, true)
  const value = ctx.lookup(name)
  const unsetOrEmpty = op.startsWith(':') ? value === undefined || value === '' : value === undefined
  let result: string
  switch (op.replace(':', '')) {
    case '-':
      result = unsetOrEmpty ? arg : value!
      break
    case '?':
      if (unsetOrEmpty) throw at.error(`required variable ${name} is missing a value${arg ? `: ${arg}` : ''}`)
      result = value!
      break
    default: // '+'
      result = unsetOrEmpty ? '' : arg
  }
  return [result, end + 1]
}

function valueOf(name: string, ctx: Interpolation): string {
  const v = ctx.lookup(name)
  if (v === undefined) {
    ctx.unset.add(name)
    return ''
  }
  return v
}

/** Every string value of a parsed file (not its keys), interpolated; a new tree. */
export function interpolateTree(value: unknown, ctx: Interpolation, at: At): unknown {
  if (typeof value === 'string') return interpolateString(value, ctx, at)
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, ctx, at.at(i)))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, ctx, at.at(k))
    return out
  }
  return value
}
