/**
 * COPY --exclude and COPY --parents patterns, with the rules of
 * moby/patternmatcher, which BuildKit's copier (tonistiigi/fsutil) matches
 * them with, and which .dockerignore has too: Go's filepath.Match within a
 * path segment (`*`, `?`, `[a-z]`, `\` escapes), `**` for any number of
 * segments, a pattern that matches a directory matching everything below
 * it, and `!` exceptions, the last matching pattern deciding (pure).
 *
 * .dockerignore is matched with it too (build-context.ts). Its own, not
 * @balena/dockerignore: that one matches without regard to case unless
 * told, and passes `+`, `(`, `|`, `{` through to the RegExp, so `c++`
 * throws where Go matches it as text.
 * Where patternmatcher's translation is a plain slip (`^` outside a class
 * and `\d` become RegExp syntax), the character is taken as itself, as
 * filepath.Match takes it.
 */
import { posix } from 'node:path'

interface Rule {
  exclusion: boolean
  test: (path: string) => boolean
  /** A test for each segment before the first one holding `**` (for mayMatchBelow). */
  leading: ((name: string) => boolean)[]
}

export class PatternError extends Error {}

export class PathPatterns {
  readonly #rules: Rule[] = []
  /** Some pattern is an exception ("!"): an excluded directory may still hold what comes back. */
  readonly hasExceptions: boolean

  /** Patterns as written; empty ones are skipped (an ARG that expanded to nothing). Throws PatternError. */
  constructor(patterns: readonly string[]) {
    for (const written of patterns) {
      let p = cleanPattern(written.trim())
      if (p === '') continue
      const exclusion = p.startsWith('!')
      if (exclusion) {
        const rest = p.slice(1).trim()
        if (rest === '') throw new PatternError(`illegal exclusion pattern: ${JSON.stringify(written)}`)
        // `!.` and `!/` are patterns, as in patternmatcher, that match nothing
        p = cleanPattern(rest)
        if (p === '') continue
      }
      checkSyntax(p)
      const segments = p.split('/')
      const star = segments.findIndex((s) => s.includes('**'))
      const leading = (star < 0 ? segments : segments.slice(0, star)).map(compile)
      this.#rules.push({ exclusion, test: compile(p), leading })
    }
    this.hasExceptions = this.#rules.some((r) => r.exclusion)
  }

  get empty(): boolean {
    return this.#rules.length === 0
  }

  /**
   * Does the last pattern matching `path` (relative, "/"-separated), or one
   * of its parent directories, include it? patternmatcher's
   * MatchesOrParentMatches, what fsutil's walk amounts to.
   */
  matches(path: string): boolean {
    const parts = path.split('/')
    let matched = false
    for (const rule of this.#rules) {
      // an inclusion cannot change a match, nor an exception a miss
      if (rule.exclusion !== matched) continue
      let hit = rule.test(path)
      for (let n = 1; !hit && n < parts.length; n++) hit = rule.test(parts.slice(0, n).join('/'))
      if (hit) matched = !rule.exclusion
    }
    return matched
  }

  /**
   * Could something below the directory `dir` match? False only when every
   * pattern's segments before its first `**` rule it out, so a walk for
   * `COPY --parents package.json` does not read all of node_modules.
   */
  mayMatchBelow(dir: string): boolean {
    const parts = dir.split('/')
    return this.#rules.some((rule) => {
      if (rule.exclusion) return false
      for (const [n, part] of parts.entries()) {
        const test = rule.leading[n]
        // past a `**` anything may match; past the pattern's end, a parent matched it
        if (test === undefined) return true
        if (!test(part)) return false
      }
      return true
    })
  }
}

/** Go's filepath.Clean of a relative pattern; a leading "/" is the source's root, as in .dockerignore. */
function cleanPattern(p: string): string {
  if (p === '') return ''
  const clean = posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '')
  return clean === '.' ? '' : clean
}

/** filepath.Match's syntax errors (Go checks the whole pattern): an unterminated or empty class, a bad range, a trailing `\`. */
function checkSyntax(p: string): void {
  const chars = Array.from(p)
  const bad = (why: string) => new PatternError(`bad pattern ${JSON.stringify(p)}: ${why}`)
  let i = 0
  // one character of a class, escaped or not (Go's getEsc)
  const classChar = () => {
    if (i >= chars.length) throw bad('unterminated [')
    if (chars[i] === '-' || chars[i] === ']') throw bad(`bad character class`)
    if (chars[i] === '\\' && ++i >= chars.length) throw bad('unterminated [')
    i++
  }
  while (i < chars.length) {
    const ch = chars[i++]
    if (ch === '\\') {
      if (i >= chars.length) throw bad('trailing \\')
      i++
    } else if (ch === '[') {
      if (chars[i] === '^') i++
      for (let ranges = 0; ; ranges++) {
        if (chars[i] === ']' && ranges > 0) {
          i++
          break
        }
        classChar()
        if (chars[i] === '-') {
          i++
          classChar()
        }
      }
    }
  }
}

/** patternmatcher's compile: an exact name, a prefix (`dir/**`), a suffix (`**\/name`) or a RegExp. */
function compile(p: string): (path: string) => boolean {
  const chars = Array.from(p)
  let re = '^'
  let kind: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact'
  let inClass = false
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!
    if (inClass) {
      if (ch === '\\') re += escapeChar(chars[++i]!)
      else re += ch
      if (ch === ']') inClass = false
    } else if (ch === '*' && chars[i + 1] === '*') {
      const first = i === 0
      i++
      if (chars[i + 1] === '/') i++
      if (i + 1 >= chars.length) {
        if (kind === 'exact') kind = 'prefix'
        else {
          re += '.*'
          kind = 'regexp'
        }
      } else {
        re += '(.*/)?'
        kind = 'regexp'
      }
      if (first) kind = 'suffix'
    } else if (ch === '*') {
      re += '[^/]*'
      kind = 'regexp'
    } else if (ch === '?') {
      re += '[^/]'
      kind = 'regexp'
    } else if (ch === '\\') {
      re += escapeChar(chars[++i]!)
      kind = 'regexp'
    } else if (ch === '[') {
      re += '['
      inClass = true
      if (chars[i + 1] === '^') re += chars[++i]
      kind = 'regexp'
    } else re += escapeChar(ch)
  }
  switch (kind) {
    case 'exact':
      return (path) => path === p
    case 'prefix': {
      const prefix = p.slice(0, -2)
      return (path) => path.startsWith(prefix)
    }
    case 'suffix': {
      const suffix = p.slice(2)
      // `**/name` matches "name" itself too
      return (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1))
    }
    default: {
      const regexp = new RegExp(`${re}$`, 's')
      return (path) => regexp.test(path)
    }
  }
}

/** A character as itself in a RegExp. */
function escapeChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch
}
