/**
 * Go's text/template, the subset Docker's --format users write: text and
 * actions with `{{-`/`-}}` trimming and comments, fields (`.State.Status`),
 * variables (`$`, `$x := ...`), string/number/bool literals, pipelines
 * (`{{.Names | upper}}`), function and method calls with arguments,
 * parentheses, and `if`/`else if`/`else`, `range` (with `$i, $v :=`),
 * `with`. The grammar follows text/template/parse (lex.go, parse.go); what
 * it does not know (`define`, `template`, `block`, `break`) is a parse
 * error, never silently ignored. Execution is template-exec.ts.
 *
 * No npm package does this well enough: the one there is
 * (@ctrl/golang-template) matches actions with regular expressions and
 * knows neither parentheses, variables, `with`, nor `json`.
 */
import { lexAction, split, type RawAction, type Token } from './template-lex.js'
import { TemplateError } from './template-errors.js'

export { TemplateError }


export type Operand =
  | { kind: 'field'; path: string[] } // .A.B ("." alone: path [])
  | { kind: 'variable'; name: string; path: string[] } // $x.A
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'identifier'; name: string } // a function
  | { kind: 'pipeline'; pipeline: Pipeline; path: string[] } // (...).A

export interface Command {
  args: Operand[]
}

export interface Pipeline {
  /** `$x :=` or `$i, $v :=` (range); `=` assigns an existing variable. */
  decl: string[]
  assign: boolean
  commands: Command[]
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipeline: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipeline: Pipeline; list: Node[]; elseList?: Node[] }

class Parser {
  private pos = 0
  constructor(
    private readonly tokens: Token[],
    private readonly line: number,
  ) {}

  fail(msg: string): never {
    throw new TemplateError(`template: :${this.line}: ${msg}`)
  }

  done(): boolean {
    return this.pos >= this.tokens.length
  }

  peek(): Token | undefined {
    return this.tokens[this.pos]
  }

  pipeline(context: string, allowDecl = true): Pipeline {
    const decl: string[] = []
    let assign = false
    // $x := ..., $i, $v := ...
    const save = this.pos
    if (allowDecl && this.peek()?.t === 'variable') {
      const names: string[] = []
      for (;;) {
        const tok = this.peek()
        if (tok?.t !== 'variable' || tok.path.length) break
        names.push(tok.name)
        this.pos++
        if (this.peek()?.t === 'comma' && context === 'range' && names.length === 1) {
          this.pos++
          continue
        }
        break
      }
      const next = this.peek()
      if (names.length && (next?.t === 'declare' || next?.t === 'assign')) {
        decl.push(...names)
        assign = next.t === 'assign'
        this.pos++
      } else this.pos = save
    }
    const commands: Command[] = []
    for (;;) {
      commands.push(this.command())
      const tok = this.peek()
      if (tok?.t === 'pipe') {
        this.pos++
        continue
      }
      break
    }
    return { decl, assign, commands }
  }

  command(): Command {
    const args: Operand[] = []
    for (;;) {
      const tok = this.peek()
      if (!tok || tok.t === 'pipe' || tok.t === 'rparen') break
      args.push(this.operand())
    }
    if (args.length === 0) this.fail('missing value for command')
    return { args }
  }

  operand(): Operand {
    const tok = this.tokens[this.pos++]!
    switch (tok.t) {
      case 'field':
        return { kind: 'field', path: tok.path }
      case 'variable':
        return { kind: 'variable', name: tok.name, path: tok.path }
      case 'string':
        return { kind: 'string', value: tok.value }
      case 'number':
        return { kind: 'number', value: tok.value }
      case 'ident':
        if (tok.name === 'true' || tok.name === 'false') return { kind: 'bool', value: tok.name === 'true' }
        if (tok.name === 'nil') return { kind: 'nil' }
        return { kind: 'identifier', name: tok.name }
      case 'lparen': {
        const pipeline = this.pipeline('paren')
        if (this.tokens[this.pos++]?.t !== 'rparen') this.fail('unclosed left paren')
        const after = this.peek()
        let path: string[] = []
        if (after?.t === 'dotpath') {
          path = after.path
          this.pos++
        }
        return { kind: 'pipeline', pipeline, path }
      }
      default:
        return this.fail(`unexpected ${describe(tok)} in operand`)
    }
  }
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'rparen':
      return '")"'
    case 'pipe':
      return '"|"'
    case 'comma':
      return '","'
    case 'declare':
      return '":="'
    case 'assign':
      return '"="'
    default:
      return tok.t
  }
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue'])

/** Parse a template into its node tree; throws TemplateError with Go's wording where it matters. */
export function parseTemplate(src: string): Node[] {
  const parts = split(src)
  let index = 0

  // Parse nodes until an {{else}} or {{end}}; returns which one ended the list.
  const list = (inside: string | undefined): { nodes: Node[]; ended: 'end' | 'else' | 'eof'; elseIf?: { tokens: Token[]; line: number } } => {
    const nodes: Node[] = []
    while (index < parts.length) {
      const part = parts[index++]!
      if (typeof part === 'string') {
        nodes.push({ kind: 'text', text: part })
        continue
      }
      const body = part.body.trim()
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw new TemplateError(`template: :${part.line}: comment ends before closing delimiter`)
        continue
      }
      const tokens = lexAction(body, part.line)
      const first = tokens[0]
      if (!first) throw new TemplateError(`template: :${part.line}: missing value for command`)
      if (first.t === 'ident' && KEYWORDS.has(first.name)) {
        const word = first.name
        if (word === 'end') {
          if (!inside) throw new TemplateError(`template: :${part.line}: unexpected {{end}}`)
          if (tokens.length > 1) throw new TemplateError(`template: :${part.line}: unexpected ${describe(tokens[1]!)} in end`)
          return { nodes, ended: 'end' }
        }
        if (word === 'else') {
          if (!inside) throw new TemplateError(`template: :${part.line}: unexpected {{else}}`)
          if (tokens.length > 1) {
            const second = tokens[1]!
            if (second.t === 'ident' && (second.name === 'if' || second.name === 'with')) return { nodes, ended: 'else', elseIf: { tokens: tokens.slice(1), line: part.line } }
            throw new TemplateError(`template: :${part.line}: unexpected ${describe(second)} in else`)
          }
          return { nodes, ended: 'else' }
        }
        if (word === 'if' || word === 'with' || word === 'range') {
          nodes.push(control(word, tokens.slice(1), part.line))
          continue
        }
        throw new TemplateError(`template: :${part.line}: {{${word}}} is not supported by mini-run's templates`)
      }
      const p = new Parser(tokens, part.line)
      const pipeline = p.pipeline('action')
      if (!p.done()) p.fail(`unexpected ${describe(p.peek()!)} in command`)
      nodes.push({ kind: 'action', pipeline })
    }
    if (inside) throw new TemplateError(`template: :${lastLine()}: unexpected EOF`)
    return { nodes, ended: 'eof' }
  }

  const lastLine = () => {
    for (let k = parts.length - 1; k >= 0; k--) {
      const part = parts[k]!
      if (typeof part !== 'string') return part.line
    }
    return 1
  }

  const control = (word: 'if' | 'with' | 'range', tokens: Token[], line: number): Node => {
    if (tokens.length === 0) throw new TemplateError(`template: :${line}: missing value for ${word}`)
    const p = new Parser(tokens, line)
    const pipeline = p.pipeline(word)
    if (!p.done()) p.fail(`unexpected ${describe(p.peek()!)} in ${word}`)
    const body = list(word)
    if (body.ended === 'end') return { kind: word, pipeline, list: body.nodes }
    if (body.elseIf) {
      // {{else if X}} is {{else}}{{if X}}...{{end}}{{end}}, sharing the one {{end}}
      const [head, ...rest] = body.elseIf.tokens
      const nested = control((head as { name: 'if' | 'with' }).name, rest, body.elseIf.line)
      return { kind: word, pipeline, list: body.nodes, elseList: [nested] }
    }
    const elseBody = list(word)
    if (elseBody.ended === 'else') throw new TemplateError(`template: :${line}: expected end; found {{else}}`)
    return { kind: word, pipeline, list: body.nodes, elseList: elseBody.nodes }
  }

  return list(undefined).nodes
}
