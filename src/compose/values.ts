/**
 * Reading a validated compose value into one type. The schema allows a
 * string wherever a boolean or a number may come from a variable
 * (`init: ${INIT:-false}`); these turn such strings into their type, or
 * fail naming the path.
 */
import type { At } from './compose-error.js'
import type { Lookup } from './interpolate.js'

export type Raw = Record<string, unknown>

export function isMap(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function bool(v: unknown, at: At): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'string' && /^(true|false|yes|no|1|0|on|off)$/i.test(v)) return /^(true|yes|1|on)$/i.test(v)
  throw at.error(`expected a boolean, got ${JSON.stringify(v)}`)
}

export function int(v: unknown, at: At, min = 0): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw at.error(`expected a whole number${min > 0 ? ` of at least ${min}` : min === 0 ? ' (0 or more)' : ''}, got ${JSON.stringify(v)}`)
  return n
}

export function str(v: unknown, at: At): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  throw at.error(`expected a string, got ${JSON.stringify(v)}`)
}

export function strings(v: unknown, at: At): string[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) return [str(v, at)]
  return v.map((x, i) => str(x, at.at(i)))
}

/**
 * Compose's list_or_dict (environment, labels, build args): ["K=V", "K"] or
 * {K: V}. A key without a value takes `fallback`'s value, and is left out
 * when it has none.
 */
export function listOrDict(v: unknown, at: At, fallback?: Lookup): Record<string, string> {
  const out: Record<string, string> = {}
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) out[key] = value
    else if (fallback?.(key) !== undefined) out[key] = fallback(key)!
  }
  if (v === undefined || v === null) return out
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const text = str(item, at.at(i))
      const eq = text.indexOf('=')
      if (eq === 0) throw at.at(i).error(`"${text}": the name is empty`)
      put(eq < 0 ? text : text.slice(0, eq), eq < 0 ? undefined : text.slice(eq + 1))
    })
    return out
  }
  if (!isMap(v)) throw at.error('expected a list of KEY=VALUE or a mapping')
  for (const [key, value] of Object.entries(v)) put(key, value === null ? undefined : str(value, at.at(key)))
  return out
}

/**
 * A command given as a string, split into words as compose-go does
 * (go-shellwords: quotes and backslashes, no expansion); a list as it is.
 */
export function command(v: unknown, at: At): string[] | undefined {
  if (v === undefined || v === null) return undefined
  if (Array.isArray(v)) return v.map((x, i) => str(x, at.at(i)))
  return shellWords(str(v, at), at)
}

export function shellWords(text: string, at: At): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\' && i + 1 < text.length) {
      word += text[++i]
      inWord = true
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) throw at.error(`unterminated single quote in ${JSON.stringify(text)}`)
      word += text.slice(i + 1, end)
      i = end
      inWord = true
    } else if (c === '"') {
      let j = i + 1
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && '"\\$`'.includes(text[j + 1] ?? '')) j++
        word += text[j]
      }
      if (j >= text.length) throw at.error(`unterminated double quote in ${JSON.stringify(text)}`)
      i = j
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}
