/**
 * The values and functions of Go templates (template-exec.ts runs them):
 * how fmt prints a value, what is true, text/template's builtins and the
 * functions Docker adds (docker/cli templates/templates.go).
 */
import { TemplateError } from './template-errors.js'

/** A missing map key: printed as `<no value>`, false in a condition. */
export const NO_VALUE = Symbol('no value')

export type Value = unknown

/** fmt's %v of a value, as text/template prints an action's result. */
export function goPrint(v: Value): string {
  if (v === NO_VALUE || v === undefined) return '<no value>'
  if (v === null) return '<nil>'
  if (typeof v === 'string') return v
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN'
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  if (Array.isArray(v)) return `[${v.map(inner).join(' ')}]`
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => typeof (v as Record<string, unknown>)[k] !== 'function').sort()
    return `map[${keys.map((k) => `${k}:${inner((v as Record<string, unknown>)[k])}`).join(' ')}]`
  }
  return String(v)
}

/** Inside a list or map a nil prints as <nil> too, and a missing one cannot occur. */
export function inner(v: Value): string {
  return v === undefined ? '<nil>' : goPrint(v)
}

/** text/template's truth: false, 0, nil, and empty strings, lists and maps are false. */
export function truth(v: Value): boolean {
  if (v === NO_VALUE || v === undefined || v === null || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v).length > 0
  return true
}

export type Fn = (...args: Value[]) => Value

export function execError(msg: string): TemplateError {
  return new TemplateError(`template: executing: ${msg}`)
}

export function length(v: Value): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length
  if (v !== null && typeof v === 'object') return Object.keys(v).length
  throw execError(`len of ${goPrint(v)}`)
}

export function index(v: Value, ...keys: Value[]): Value {
  let cur = v
  for (const k of keys) {
    if (Array.isArray(cur) || typeof cur === 'string') {
      const i = Number(k)
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw execError(`index out of range: ${goPrint(k)}`)
      cur = Array.isArray(cur) ? cur[i] : cur.charCodeAt(i)
    } else if (cur !== null && typeof cur === 'object') {
      const record = cur as Record<string, unknown>
      cur = Object.hasOwn(record, String(k)) ? record[String(k)] : zeroOfElements(record)
    } else if (cur === null && typeof k === 'string') {
      // a nil map (Labels of an image without any: null in the JSON) gives its zero value too
      cur = ''
    } else if (cur === null || cur === undefined || cur === NO_VALUE) {
      throw execError('index of untyped nil')
    } else throw execError(`can't index item of type ${typeof cur}`)
  }
  return cur
}

/**
 * What Go's index gives for a key a map lacks: the zero value of its
 * element type (a field's lookup gives <no value>, but index reflect.Zero).
 * The JSON has no types, so it is guessed from the values there: a map of
 * strings (Config.Labels, map[string]string in Docker, empty ones too) gives
 * "", of lists (Ports) an empty list, of objects (Networks' pointers) nil;
 * a mixed one nil, as an interface's zero.
 */
function zeroOfElements(record: Record<string, unknown>): Value {
  // a null among them (an exposed port not published) says nothing of the type
  const values = Object.values(record).filter((v) => v !== null)
  if (values.every((v) => typeof v === 'string')) return ''
  if (values.every((v) => Array.isArray(v))) return []
  return null
}

export function compare(op: string, a: Value, b: Value): boolean {
  const norm = (x: Value) => (x === NO_VALUE ? undefined : x)
  const x = norm(a)
  const y = norm(b)
  if (op === 'eq') return x === y || (x == null && y == null)
  if (op === 'ne') return !(x === y || (x == null && y == null))
  if (typeof x !== typeof y || (typeof x !== 'number' && typeof x !== 'string')) {
    throw execError(`incompatible types for comparison`)
  }
  const xs = x as number | string
  const ys = y as number | string
  switch (op) {
    case 'lt':
      return xs < ys
    case 'le':
      return xs <= ys
    case 'gt':
      return xs > ys
    default:
      return xs >= ys
  }
}

/** fmt.Sprint: spaces between operands when neither is a string. */
export function sprint(args: Value[]): string {
  let out = ''
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' '
    out += goPrint(a)
  })
  return out
}

/** fmt.Sprintf for the verbs templates use: %s %v %d %q %t %x %f %%, with width and "-". */
export function sprintf(format: string, ...args: Value[]): string {
  let n = 0
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdqtxXf%])/g, (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%'
    if (n >= args.length) return `%!${verb}(MISSING)`
    const a = args[n++]
    let s: string
    switch (verb) {
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${goPrint(a)})`
        break
      case 'q':
        s = JSON.stringify(goPrint(a))
        break
      case 'x':
      case 'X':
        s = typeof a === 'number' ? a.toString(16) : Buffer.from(goPrint(a)).toString('hex')
        if (verb === 'X') s = s.toUpperCase()
        break
      case 'f':
        s = typeof a === 'number' ? a.toFixed(prec === undefined ? 6 : Number(prec)) : `%!f(${goPrint(a)})`
        break
      default:
        s = goPrint(a)
        if (verb === 's' && prec !== undefined) s = s.slice(0, Number(prec))
    }
    const w = width === undefined ? 0 : Number(width)
    return flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ')
  })
}

/** Docker's template functions and text/template's builtins. */
export const FUNCTIONS: Record<string, Fn> = {
  // Docker's json: no HTML escaping, no trailing newline
  json: (v) => JSON.stringify(v === NO_VALUE ? null : v) ?? 'null',
  split: (s, sep) => String(s).split(String(sep)),
  join: (list, sep) => {
    if (!Array.isArray(list)) throw execError(`join of ${goPrint(list)}: not a list`)
    return list.map((x) => goPrint(x)).join(String(sep))
  },
  title: (s) => String(s).replace(/\b\p{L}/gu, (c) => c.toUpperCase()),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  pad: (s, before, after) => `${' '.repeat(Number(before))}${goPrint(s)}${' '.repeat(Number(after))}`,
  truncate: (s, n) => {
    const text = goPrint(s)
    return text.length > Number(n) ? text.slice(0, Number(n)) : text
  },
  len: (v) => length(v),
  index: (v, ...keys) => index(v, ...keys),
  slice: (v, from, to) => {
    if (typeof v !== 'string' && !Array.isArray(v)) throw execError(`can't slice item of type ${typeof v}`)
    return v.slice(Number(from ?? 0), to === undefined ? undefined : Number(to))
  },
  // and, or: evaluated lazily in Executor.command (Go 1.18's short circuit); these serve a call by value
  and: (...args) => args.find((a) => !truth(a)) ?? args.at(-1),
  or: (...args) => args.find((a) => truth(a)) ?? args.at(-1),
  not: (v) => !truth(v),
  print: (...args) => sprint(args),
  printf: (format, ...args) => sprintf(String(format), ...args),
  println: (...args) => `${args.map(goPrint).join(' ')}\n`,
  eq: (a, ...bs) => bs.some((b) => compare('eq', a, b)),
  ne: (a, b) => compare('ne', a, b),
  lt: (a, b) => compare('lt', a, b),
  le: (a, b) => compare('le', a, b),
  gt: (a, b) => compare('gt', a, b),
  ge: (a, b) => compare('ge', a, b),
}
