/**
 * ajv's errors for the Compose Specification's schema as one line with the
 * path in the file. A value that matches none of a `oneOf` gives an error
 * for every branch; the one that says most is the deepest (it got furthest
 * into a branch), and at equal depth an unknown key or a wrong value before
 * a wrong type, as compose-go chooses.
 */
import type { ErrorObject } from 'ajv'
import { ComposeError, type PathSegment } from './compose-error.js'

const RANK: Record<string, number> = { additionalProperties: 0, enum: 1, const: 1, required: 2, pattern: 3, type: 4 }

/** "/services/web/ports/0" as path segments: numbers where the data has a list. */
function segments(instancePath: string, data: unknown): PathSegment[] {
  const out: PathSegment[] = []
  let node = data
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node)) {
      out.push(Number(key))
      node = node[Number(key)]
    } else {
      out.push(key)
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined
    }
  }
  return out
}

const depth = (e: ErrorObject) => e.instancePath.split('/').length + (e.keyword === 'additionalProperties' ? 1 : 0)

export function schemaError(file: string, errors: readonly ErrorObject[], data: unknown): ComposeError {
  const useful = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'not'].includes(e.keyword))
  const pool = useful.length ? useful : [...errors]
  const deepest = Math.max(...pool.map(depth))
  const candidates = pool.filter((e) => depth(e) === deepest)
  candidates.sort((a, b) => (RANK[a.keyword] ?? 5) - (RANK[b.keyword] ?? 5))
  const best = candidates[0]!
  const path = segments(best.instancePath, data)
  const p = best.params as Record<string, unknown>
  switch (best.keyword) {
    case 'additionalProperties':
      return new ComposeError(file, [...path, String(p.additionalProperty)], 'unknown key (not in the Compose Specification)')
    case 'enum':
      return new ComposeError(file, path, `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`)
    case 'required':
      return new ComposeError(file, path, `missing the required key ${JSON.stringify(p.missingProperty)}`)
    case 'type': {
      const types = [...new Set(candidates.filter((e) => e.keyword === 'type').flatMap((e) => String((e.params as { type: string }).type).split(',')))]
      return new ComposeError(file, path, `expected ${types.map(typeName).join(' or ')}`)
    }
    case 'pattern':
      return new ComposeError(file, path, `does not match ${String(p.pattern)}`)
    default:
      return new ComposeError(file, path, best.message ?? best.keyword)
  }
}

function typeName(t: string): string {
  return { array: 'a list', object: 'a mapping', string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'a boolean', null: 'null' }[t] ?? t
}
