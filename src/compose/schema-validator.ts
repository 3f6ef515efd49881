/**
 * The Compose Specification's JSON schema (schema/compose-spec.json,
 * vendored from the compose-spec repository) as a validator, compiled by
 * ajv. Compiling it takes ~200 ms, at every compose command: the CLI's
 * bundle ships the code ajv generates for it at build time instead (ajv's
 * standalone mode, scripts/bundle.mjs), and this module is what the
 * library and the tests use.
 */
import { Ajv, type ValidateFunction } from 'ajv'
import schema from './schema/compose-spec.json' with { type: 'json' }

/** The options the bundle's generated validator is made with too. */
export const AJV_OPTIONS = { allErrors: true, strict: false, validateSchema: false } as const

export const validateCompose: ValidateFunction = new Ajv(AJV_OPTIONS).compile(schema)
