/**
 * The lexer of the Go text/template subset (template-parse.ts): the source
 * split into text and action bodies, trim markers applied, and one action's
 * body as tokens (text/template/parse/lex.go).
 */
import { TemplateError } from './template-errors.js'

export type Token =
  | { t: 'field'; path: string[] }
  | { t: 'variable'; name: string; path: string[] }
  | { t: 'string'; value: string }
  | { t: 'number'; value: number }
  | { t: 'ident'; name: string }
  | { t: 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' }
  | { t: 'dotpath'; path: string[] } // .A after a ")"

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y

/** The tokens of one action's body (between the delimiters). */
export function lexAction(src: string, line: number): Token[] {
  const tokens: Token[] = []
  let i = 0
  const fail = (msg: string): never => {
    throw new TemplateError(`template: :${line}: ${msg}`)
  }
  const path = (): string[] => {
    const p: string[] = []
    while (src[i] === '.' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
      i++
      IDENT.lastIndex = i
      const m = IDENT.exec(src)!
      p.push(m[0])
      i += m[0].length
    }
    return p
  }
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === '|') {
      tokens.push({ t: 'pipe' })
      i++
    } else if (c === '(') {
      tokens.push({ t: 'lparen' })
      i++
    } else if (c === ')') {
      tokens.push({ t: 'rparen' })
      i++
      if (src[i] === '.') tokens.push({ t: 'dotpath', path: path() })
    } else if (c === ',') {
      tokens.push({ t: 'comma' })
      i++
    } else if (src.startsWith(':=', i)) {
      tokens.push({ t: 'declare' })
      i += 2
    } else if (c === '=') {
      tokens.push({ t: 'assign' })
      i++
    } else if (c === '.') {
      if (/[0-9]/.test(src[i + 1] ?? '')) {
        const m = /\.[0-9]+(?:[eE][+-]?[0-9]+)?/y
        m.lastIndex = i
        const n = m.exec(src)!
        tokens.push({ t: 'number', value: Number(n[0]) })
        i += n[0].length
      } else if (/[A-Za-z_]/.test(src[i + 1] ?? '')) {
        tokens.push({ t: 'field', path: path() })
      } else {
        tokens.push({ t: 'field', path: [] })
        i++
      }
    } else if (c === '$') {
      i++
      IDENT.lastIndex = i
      const m = IDENT.exec(src)
      const name = m && m.index === i ? m[0] : ''
      i += name.length
      tokens.push({ t: 'variable', name: `$${name}`, path: path() })
    } else if (c === '"') {
      let j = i + 1
      let s = ''
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          const e = src[j + 1]
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0' }
          if (e === undefined || map[e] === undefined) fail(`bad escape in quoted string`)
          s += map[e!]
          j += 2
        } else {
          if (src[j] === '\n') fail('unterminated quoted string')
          s += src[j]
          j++
        }
      }
      if (j >= src.length) fail('unterminated quoted string')
      tokens.push({ t: 'string', value: s })
      i = j + 1
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1)
      if (end < 0) fail('unterminated raw quoted string')
      tokens.push({ t: 'string', value: src.slice(i + 1, end) })
      i = end + 1
    } else if (/[-+0-9]/.test(c)) {
      const m = /[-+]?(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)/y
      m.lastIndex = i
      const n = m.exec(src)
      if (!n || n[0] === '-' || n[0] === '+') fail(`bad number syntax: "${src.slice(i, i + 10)}"`)
      tokens.push({ t: 'number', value: Number(n![0]) })
      i += n![0].length
    } else if (/[A-Za-z_]/.test(c)) {
      IDENT.lastIndex = i
      const m = IDENT.exec(src)!
      tokens.push({ t: 'ident', name: m[0] })
      i += m[0].length
    } else {
      fail(`unexpected "${c}" in command`)
    }
  }
  return tokens
}

export interface RawAction {
  body: string
  line: number
}

/** Split the source into text and action bodies, applying the trim markers. */
export function split(src: string): (string | RawAction)[] {
  const parts: (string | RawAction)[] = []
  let i = 0
  let line = 1
  let trimNext = false
  while (i < src.length) {
    const open = src.indexOf('{{', i)
    let text = open < 0 ? src.slice(i) : src.slice(i, open)
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '')
    trimNext = false
    if (open < 0) {
      if (text) parts.push(text)
      break
    }
    let start = open + 2
    // "{{- " trims the text before; the dash must be followed by a space
    if (src[start] === '-' && /[ \t\r\n]/.test(src[start + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '')
      start += 2
    }
    if (text) parts.push(text)
    line += (src.slice(i, open).match(/\n/g) ?? []).length
    // the closing delimiter, outside quoted strings and comments
    let j = start
    let close = -1
    while (j < src.length) {
      const c = src[j]!
      if (c === '"' || c === '`') {
        const end = c === '"' ? findQuoteEnd(src, j) : src.indexOf('`', j + 1)
        if (end < 0) throw new TemplateError(`template: :${line}: unterminated quoted string`)
        j = end + 1
      } else if (src.startsWith('/*', j)) {
        const end = src.indexOf('*/', j + 2)
        if (end < 0) throw new TemplateError(`template: :${line}: unclosed comment`)
        j = end + 2
      } else if (src.startsWith('}}', j)) {
        close = j
        break
      } else j++
    }
    if (close < 0) throw new TemplateError(`template: :${line}: unclosed action`)
    let body = src.slice(start, close)
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -2)
      trimNext = true
    }
    parts.push({ body, line })
    line += (body.match(/\n/g) ?? []).length
    i = close + 2
  }
  return parts
}

function findQuoteEnd(src: string, from: number): number {
  for (let j = from + 1; j < src.length; j++) {
    if (src[j] === '\\') j++
    else if (src[j] === '"') return j
  }
  return -1
}
