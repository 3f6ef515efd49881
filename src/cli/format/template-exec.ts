/**
 * Executing a parsed Go template (template-parse.ts) on JSON-like data, as
 * text/template does on Docker's values: a field of a map that is missing
 * prints `<no value>`, a nil `<nil>`, a list `[a b]`, a map `map[k:v]`
 * (keys sorted, as fmt prints maps). A property that is a function is a
 * method: `{{.Label "com.example"}}` calls it with its arguments.
 *
 * The functions are text/template's builtins (and, or, not, len, index,
 * print, printf, println, eq, ne, lt, le, gt, ge, slice) and those Docker
 * adds (docker/cli templates/templates.go): json, split, join, title,
 * lower, upper, pad, truncate.
 */
import { parseTemplate, TemplateError, type Command, type Node, type Operand, type Pipeline } from './template-parse.js'

export { TemplateError }

/** A missing map key: printed as `<no value>`, false in a condition. */
const NO_VALUE = Symbol('no value')

type Value = unknown

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
function inner(v: Value): string {
  return v === undefined ? '<nil>' : goPrint(v)
}

/** text/template's truth: false, 0, nil, and empty strings, lists and maps are false. */
export function truth(v: Value): boolean {
  if (v === NO_VALUE || v === undefined || v === null || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v).length > 0
  return true
}

type Fn = (...args: Value[]) => Value

function execError(msg: string): TemplateError {
  return new TemplateError(`template: executing: ${msg}`)
}

function length(v: Value): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length
  if (v !== null && typeof v === 'object') return Object.keys(v).length
  throw execError(`len of ${goPrint(v)}`)
}

function index(v: Value, ...keys: Value[]): Value {
  let cur = v
  for (const k of keys) {
    if (Array.isArray(cur) || typeof cur === 'string') {
      const i = Number(k)
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw execError(`index out of range: ${goPrint(k)}`)
      cur = Array.isArray(cur) ? cur[i] : cur.charCodeAt(i)
    } else if (cur !== null && typeof cur === 'object') {
      const record = cur as Record<string, unknown>
      // a missing key of a map gives its zero value (nil for Docker's maps)
      cur = Object.hasOwn(record, String(k)) ? record[String(k)] : undefined
    } else if (cur === null || cur === undefined || cur === NO_VALUE) {
      throw execError('index of untyped nil')
    } else throw execError(`can't index item of type ${typeof cur}`)
  }
  return cur
}

function compare(op: string, a: Value, b: Value): boolean {
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
function sprint(args: Value[]): string {
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

class Scope {
  private readonly vars: Map<string, Value>[]
  constructor(root: Value) {
    this.vars = [new Map([['$', root]])]
  }
  push(): void {
    this.vars.push(new Map())
  }
  pop(): void {
    this.vars.pop()
  }
  declare(name: string, v: Value): void {
    this.vars[this.vars.length - 1]!.set(name, v)
  }
  assign(name: string, v: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.has(name)) {
        this.vars[i]!.set(name, v)
        return
      }
    }
    throw execError(`undefined variable: ${name}`)
  }
  get(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.has(name)) return this.vars[i]!.get(name)
    throw execError(`undefined variable: ${name}`)
  }
}

/** One step of a field chain: a map's key (missing: NO_VALUE) or a method's result. */
function field(receiver: Value, name: string, args: Value[], last: boolean): Value {
  if (receiver === null || receiver === undefined || receiver === NO_VALUE) {
    throw execError(`nil pointer evaluating ${goPrint(receiver)}.${name}`)
  }
  if (typeof receiver !== 'object') throw execError(`can't evaluate field ${name} in type ${typeof receiver}`)
  const record = receiver as Record<string, unknown>
  const v = Object.hasOwn(record, name) ? record[name] : NO_VALUE
  if (typeof v === 'function') return (v as Fn)(...(last ? args : []))
  if (last && args.length) throw execError(`${name} has arguments but cannot be invoked as function`)
  return v
}

function chain(receiver: Value, path: string[], args: Value[]): Value {
  let cur = receiver
  path.forEach((name, i) => {
    cur = field(cur, name, args, i === path.length - 1)
  })
  return cur
}

class Executor {
  private out = ''
  constructor(
    private readonly scope: Scope,
    private readonly functions: Record<string, Fn>,
  ) {}

  run(nodes: Node[], dot: Value): string {
    this.walk(nodes, dot)
    return this.out
  }

  private walk(nodes: Node[], dot: Value): void {
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          this.out += node.text
          break
        case 'action': {
          const v = this.pipeline(node.pipeline, dot)
          if (node.pipeline.decl.length === 0) this.out += goPrint(v)
          break
        }
        case 'if':
        case 'with': {
          this.scope.push()
          const v = this.pipeline(node.pipeline, dot)
          if (truth(v)) this.walk(node.list, node.kind === 'with' ? v : dot)
          else if (node.elseList) this.walk(node.elseList, dot)
          this.scope.pop()
          break
        }
        case 'range':
          this.range(node, dot)
          break
      }
    }
  }

  private range(node: Extract<Node, { kind: 'if' | 'with' | 'range' }>, dot: Value): void {
    this.scope.push()
    const { decl } = node.pipeline
    const v = this.pipeline({ ...node.pipeline, decl: [] }, dot)
    let entries: [Value, Value][] = []
    if (Array.isArray(v)) entries = v.map((x, i) => [i, x])
    else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i])
    else if (v !== null && typeof v === 'object') entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
    else if (v !== undefined && v !== null && v !== NO_VALUE) throw execError(`range can't iterate over ${goPrint(v)}`)
    if (entries.length === 0) {
      if (node.elseList) this.walk(node.elseList, dot)
    }
    for (const [key, elem] of entries) {
      this.scope.push()
      if (decl.length === 1) this.scope.declare(decl[0]!, elem)
      if (decl.length === 2) {
        this.scope.declare(decl[0]!, key)
        this.scope.declare(decl[1]!, elem)
      }
      this.walk(node.list, elem)
      this.scope.pop()
    }
    this.scope.pop()
  }

  private pipeline(p: Pipeline, dot: Value): Value {
    let v: Value = NO_VALUE
    let piped = false
    for (const cmd of p.commands) {
      v = this.command(cmd, dot, piped ? [v] : [])
      piped = true
    }
    for (const name of p.decl) {
      if (p.assign) this.scope.assign(name, v)
      else this.scope.declare(name, v)
    }
    return v
  }

  private command(cmd: Command, dot: Value, piped: Value[]): Value {
    const [first, ...rest] = cmd.args
    if (!first) throw execError('empty command')
    if (first.kind === 'identifier') {
      const fn = this.functions[first.name]
      if (!fn) throw execError(`function "${first.name}" not defined`)
      // and/or short-circuit (Go 1.18): the first falsy (and) or truthy (or) argument
      if (first.name === 'and' || first.name === 'or') {
        let last: Value = undefined
        for (const a of rest) {
          last = this.operand(a, dot)
          if (truth(last) === (first.name === 'or')) return last
        }
        return piped.length ? piped[0] : last
      }
      return fn(...rest.map((a) => this.operand(a, dot)), ...piped)
    }
    const args = [...rest.map((a) => this.operand(a, dot)), ...piped]
    // a field or method with arguments: .Label "key"
    if (first.kind === 'field') return chain(dot, first.path, args)
    if (first.kind === 'variable') return chain(this.scope.get(first.name), first.path, args)
    if (args.length) throw execError(`can't give argument to non-function ${describeOperand(first)}`)
    return this.operand(first, dot)
  }

  private operand(o: Operand, dot: Value): Value {
    switch (o.kind) {
      case 'field':
        return chain(dot, o.path, [])
      case 'variable':
        return chain(this.scope.get(o.name), o.path, [])
      case 'string':
      case 'number':
      case 'bool':
        return o.value
      case 'nil':
        return null
      case 'identifier': {
        const fn = this.functions[o.name]
        if (!fn) throw execError(`function "${o.name}" not defined`)
        if (o.name === 'and' || o.name === 'or') throw execError(`wrong number of args for ${o.name}`)
        return fn()
      }
      case 'pipeline':
        return chain(this.pipeline(o.pipeline, dot), o.path, [])
    }
  }
}

function describeOperand(o: Operand): string {
  if (o.kind === 'string') return JSON.stringify(o.value)
  if (o.kind === 'number' || o.kind === 'bool') return String(o.value)
  return o.kind
}

export interface Template {
  execute(data: Value): string
}

/** Parse once, execute for each item. Throws TemplateError (parse or execution). */
export function compileTemplate(src: string, functions: Record<string, Fn> = FUNCTIONS): Template {
  const nodes = parseTemplate(src)
  return {
    execute: (data) => new Executor(new Scope(data), functions).run(nodes, data),
  }
}
