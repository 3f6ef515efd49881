/**
 * The Compose Specification's JSON schema (schema/compose-spec.json,
 * vendored from the compose-spec repository) as a validator, compiled by
 * ajv. Compiling it takes ~200 ms: the CLI's bundle ships the code ajv
 * generates for it at build time instead (ajv's standalone mode,
 * scripts/bundle.mjs), and this module, which the library and the tests
 * use, compiles it at its first call, not when it is imported: a program
 * that imports mini-run to run containers never pays for it (it was a
 * third of `import('mini-run')`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import schema from './schema/compose-spec.json' with { type: 'json' }

/** The options the bundle's generated validator is made with too. */
export const AJV_OPTIONS = { allErrors: true, strict: false, validateSchema: false } as const

/** What the standalone validator is too: a call, and the errors of the last one. */
export interface ComposeValidator {
  (data: unknown): boolean
  errors?: ErrorObject[] | null
}

let compiled: ValidateFunction | undefined

export const validateCompose: ComposeValidator = (data: unknown): boolean => {
  compiled ??= new Ajv(AJV_OPTIONS).compile(schema)
  const valid = compiled(data)
  validateCompose.errors = compiled.errors
  return valid
}
