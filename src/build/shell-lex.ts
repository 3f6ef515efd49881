/**
 * Docker's build-time variable expansion (BuildKit's shell lexer, pure):
 * quotes, the escape character, $NAME, ${NAME}, ${NAME:-word},
 * ${NAME-word}, ${NAME:+word}, ${NAME+word}, ${NAME:?msg}, ${NAME?msg},
 * ${NAME#pat}, ${NAME##pat}, ${NAME%pat}, ${NAME%%pat}, ${NAME/pat/repl},
 * ${NAME//pat/repl}. It is not a shell:
 * no commands, no globbing; an unset variable expands to "".
 *
 * RUN, CMD and ENTRYPOINT are never expanded here: their shell does that,
 * with ENV and ARG in its environment. Everything else that names a path,
 * a user, an image or a label is.
 */
import { UsageError } from '../errors.js'

/** Values by name; undefined: not set. */
export type Lookup = (name: string) => string | undefined

export interface Expanded {
  /** The word, quotes and escapes removed, variables expanded. */
  word: string
  /** The same split into words at unquoted white space (after expansion). */
  words: string[]
  /** The names that were looked up and set (for the cache key and lint). */
  used: Set<string>
}

const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0'])

class Words {
  words: string[] = []
  current = ''
  inWord = false
  addChar(ch: string): void {
    if (/\s/.test(ch)) {
      if (this.inWord && this.current !== '') {
        this.words.push(this.current)
        this.current = ''
        this.inWord = false
      }
    } else this.addRaw(ch)
  }
  addRaw(text: string): void {
    this.current += text
    this.inWord = true
  }
  addString(text: string): void {
    for (const ch of text) this.addChar(ch)
  }
  finish(): string[] {
    if (this.current !== '') this.words.push(this.current)
    this.current = ''
    return this.words
  }
}

class Scanner {
  pos = 0
  constructor(readonly text: string) {}
  peek(): string | undefined {
    return this.text[this.pos]
  }
  next(): string | undefined {
    return this.text[this.pos++]
  }
}

export interface ExpandOptions {
  /**
   * Quotes are plain characters (BuildKit's SkipProcessQuotes, for COPY
   * and ADD heredoc bodies: `{"name": "app"}` keeps its quotes).
   */
  skipQuotes?: boolean
}

/** Expand one Dockerfile word (or a whole argument string, for `words`). */
export function expand(text: string, lookup: Lookup, escape = '\\', options: ExpandOptions = {}): Expanded {
  const used = new Set<string>()
  const s = new Scanner(text)
  const get = (name: string): string | undefined => {
    const value = lookup(name)
    if (value !== undefined) used.add(name)
    return value
  }
  const fail = (why: string): never => {
    throw new UsageError(`failed to process ${JSON.stringify(text)}: ${why}`)
  }

  function processUntil(stop: string | undefined, rawEscapes: boolean): { word: string; words: string[] } {
    let result = ''
    const words = new Words()
    for (let ch = s.peek(); ch !== undefined; ch = s.peek()) {
      if (stop !== undefined && ch === stop) {
        s.next()
        return { word: result, words: words.finish() }
      }
      if (ch === '$') {
        const value = dollar()
        result += value
        words.addString(value)
      } else if (ch === "'" && !options.skipQuotes) {
        const value = singleQuoted()
        result += value
        words.addRaw(value)
      } else if (ch === '"' && !options.skipQuotes) {
        const value = doubleQuoted()
        result += value
        words.addRaw(value)
      } else {
        s.next()
        if (ch === escape) {
          if (rawEscapes) {
            words.addRaw(ch)
            result += ch
          }
          const escaped = s.next()
          if (escaped === undefined) break
          words.addRaw(escaped)
          result += escaped
        } else {
          words.addChar(ch)
          result += ch
        }
      }
    }
    if (stop !== undefined) fail(`unexpected end of statement while looking for matching ${stop}`)
    return { word: result, words: words.finish() }
  }

  function singleQuoted(): string {
    s.next()
    let result = ''
    for (;;) {
      const ch = s.next()
      if (ch === undefined) fail('unexpected end of statement while looking for matching single-quote')
      if (ch === "'") return result
      result += ch
    }
  }

  function doubleQuoted(): string {
    s.next()
    let result = ''
    for (;;) {
      const ch = s.peek()
      if (ch === undefined) fail('unexpected end of statement while looking for matching double-quote')
      if (ch === '"') {
        s.next()
        return result
      }
      if (ch === '$') {
        result += dollar()
        continue
      }
      s.next()
      if (ch === escape) {
        const after = s.peek()
        if (after === undefined) continue
        // only these can be escaped inside double quotes; any other escape stays
        if (after === '"' || after === '$' || after === escape) {
          result += s.next()
          continue
        }
      }
      result += ch
    }
  }

  function name(): string {
    let out = ''
    for (let ch = s.peek(); ch !== undefined; ch = s.peek()) {
      if (out === '' && /[0-9]/.test(ch)) {
        while (s.peek() !== undefined && /[0-9]/.test(s.peek()!)) out += s.next()
        return out
      }
      if (out === '' && SPECIAL_PARAMS.has(ch)) return s.next()!
      if (!/[\p{L}\p{N}_]/u.test(ch)) break
      out += s.next()
    }
    return out
  }

  function dollar(): string {
    s.next()
    if (s.peek() !== '{') {
      const n = name()
      return n === '' ? '$' : (get(n) ?? '')
    }
    s.next()
    const first = s.peek()
    if (first === undefined) fail("syntax error: missing '}'")
    if (first === '{' || first === '}' || first === ':') fail('syntax error: bad substitution')
    const n = name()
    let op = s.next()
    if (op === '}') return get(n) ?? ''
    let nullIsUnset = false
    if (op === ':') {
      nullIsUnset = true
      op = s.next()
    }
    if (op === undefined) fail("syntax error: missing '}'")
    if (!['-', '+', '?', '#', '%', '/'].includes(op!) || (nullIsUnset && (op === '#' || op === '%' || op === '/'))) {
      fail(`unsupported modifier (${nullIsUnset ? ':' : ''}${op}) in substitution`)
    }
    if (op === '/') return replacePattern(n)
    let { word } = processUntil('}', op === '#' || op === '%')
    const value = get(n)
    const unset = value === undefined || (nullIsUnset && value === '')
    switch (op) {
      case '-':
        return unset ? word : value!
      case '+':
        return unset ? '' : word
      case '?':
        if (unset) fail(`${n}: ${word || (value === undefined ? 'is not allowed to be unset' : 'is not allowed to be empty')}`)
        return value!
      default: {
        const greedy = word.startsWith(op!)
        if (greedy) word = word.slice(1)
        return trimPattern(value ?? '', word, op === '#' ? 'prefix' : 'suffix', greedy)
      }
    }
  }

  /** ${NAME/pat/repl}, ${NAME//pat/repl}: the first (or every) longest match of a shell pattern replaced (BuildKit's processDollar). */
  function replacePattern(n: string): string {
    const all = s.peek() === '/'
    if (all) s.next()
    if (!text.slice(s.pos).includes('/')) fail("syntax error: missing '/' in ${}")
    const pattern = processUntil('/', true).word
    const replacement = processUntil('}', true).word
    const re = new RegExp(patternSource(pattern), all ? 'gs' : 's')
    return (get(n) ?? '').replace(re, () => replacement)
  }

  const { word, words } = processUntil(undefined, false)
  return { word, words, used }
}

/** ${v#pat}: the shortest (or, greedy, longest) match of a shell pattern removed from one end. */
function trimPattern(value: string, pattern: string, end: 'prefix' | 'suffix', greedy: boolean): string {
  const re = patternRegex(pattern)
  const lengths = [...Array(value.length + 1).keys()]
  if (greedy) lengths.reverse()
  for (const n of lengths) {
    const part = end === 'prefix' ? value.slice(0, n) : value.slice(value.length - n)
    if (re.test(part)) return end === 'prefix' ? value.slice(n) : value.slice(0, value.length - n)
  }
  return value
}

function patternRegex(pattern: string): RegExp {
  return new RegExp(`^${patternSource(pattern)}$`, 's')
}

/** A shell pattern as a regular expression's source: * ? and \\x (\\/ and \\} are the characters). */
function patternSource(pattern: string): string {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === '*') out += '.*'
    else if (ch === '?') out += '.'
    else if (ch === '\\' && i + 1 < pattern.length) out += escapeRegex(pattern[++i]!)
    else out += escapeRegex(ch)
  }
  return out
}

function escapeRegex(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/**
 * Split an instruction's arguments at unquoted white space, keeping quotes
 * and escapes (Docker's parser does this before expansion: `ENV a="b c"
 * d=e` is two words).
 */
export function splitRawWords(text: string, escape = '\\'): string[] {
  const words: string[] = []
  let current = ''
  let quote: string | undefined
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quote === undefined && /\s/.test(ch)) {
      if (inWord) words.push(current)
      current = ''
      inWord = false
      continue
    }
    inWord = true
    current += ch
    if (ch === escape && quote !== "'" && i + 1 < text.length) {
      current += text[++i]
    } else if (quote === undefined && (ch === '"' || ch === "'")) quote = ch
    else if (ch === quote) quote = undefined
  }
  if (inWord) words.push(current)
  return words
}

/** A lookup over KEY=VALUE lists, later entries winning. */
export function lookupOf(...envs: readonly (readonly string[])[]): Lookup {
  const map = new Map<string, string>()
  for (const env of envs) {
    for (const entry of env) {
      const eq = entry.indexOf('=')
      if (eq < 0) map.set(entry, '')
      else map.set(entry.slice(0, eq), entry.slice(eq + 1))
    }
  }
  return (name) => map.get(name)
}
