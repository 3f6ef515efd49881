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
import { NO_VALUE, goPrint, truth, execError, length, FUNCTIONS, type Value, type Fn } from './template-functions.js'

export { TemplateError }

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
