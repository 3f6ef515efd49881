/**
 * Reading config.json field by field. Every value is checked where it is
 * read, and a bad one stops the create with one line naming it by its place
 * in the file (process.capabilities.bounding[3]), before anything is made.
 * Fields the reader does not know are accepted, as the runtime spec asks
 * (config.md: "runtimes MUST ignore unknown properties").
 */
import { MiniRunError } from '../../errors.js'

export class ConfigError extends MiniRunError {
  override name = 'ConfigError'
  constructor(where: string, problem: string) {
    super(`config.json: ${where}: ${problem}`, { code: 'EINVALIDCONFIG' })
  }
}

/** A field mini-run does not implement, with a value that would need it. */
export function unsupported(where: string, what: string): never {
  throw new ConfigError(where, `${what} is not supported by mini-run`)
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`)

export function object(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(where, `must be an object, not ${typeOf(v)}`)
  return v as Record<string, unknown>
}

export function optObject(v: unknown, where: string): Record<string, unknown> | undefined {
  return v === undefined || v === null ? undefined : object(v, where)
}

export function string(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ConfigError(where, `must be a string, not ${typeOf(v)}`)
  return v
}

export function optString(v: unknown, where: string): string | undefined {
  return v === undefined || v === null ? undefined : string(v, where)
}

export function boolean(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(where, `must be true or false, not ${typeOf(v)}`)
  return v
}

export function optBoolean(v: unknown, where: string): boolean | undefined {
  return v === undefined || v === null ? undefined : boolean(v, where)
}

/**
 * An integer in [min, max]. JSON numbers above 2^53 arrive rounded (an
 * rlimit of 2^64 - 1 reads as 2^64): they are still integers.
 */
export function integer(v: unknown, where: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(where, `must be an integer, not ${typeof v === 'number' ? v : typeOf(v)}`)
  if (v < min || v > max) throw new ConfigError(where, `${v} is out of range (${min}..${max})`)
  return v
}

export function optInteger(v: unknown, where: string, min?: number, max?: number): number | undefined {
  return v === undefined || v === null ? undefined : integer(v, where, min, max)
}

export function array(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new ConfigError(where, `must be an array, not ${typeOf(v)}`)
  return v
}

export function optArray(v: unknown, where: string): unknown[] | undefined {
  return v === undefined || v === null ? undefined : array(v, where)
}

export function stringArray(v: unknown, where: string): string[] {
  return array(v, where).map((s, i) => string(s, `${where}[${i}]`))
}

export function optStringArray(v: unknown, where: string): string[] | undefined {
  return v === undefined || v === null ? undefined : stringArray(v, where)
}

export function stringMap(v: unknown, where: string): Record<string, string> {
  const o = object(v, where)
  for (const [k, value] of Object.entries(o)) string(value, `${where}.${k}`)
  return o as Record<string, string>
}

export function absolutePath(v: unknown, where: string): string {
  const p = string(v, where)
  if (!p.startsWith('/')) throw new ConfigError(where, `${JSON.stringify(p)} must be an absolute path`)
  if (p.includes('\0')) throw new ConfigError(where, 'holds a NUL byte')
  return p
}

export function oneOf<T extends string>(v: unknown, where: string, values: readonly T[]): T {
  const s = string(v, where)
  if (!(values as readonly string[]).includes(s)) throw new ConfigError(where, `${JSON.stringify(s)} is not one of ${values.join(', ')}`)
  return s as T
}
