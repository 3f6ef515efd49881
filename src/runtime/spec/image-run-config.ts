/**
 * The part of an image's config a run uses (config.config: User, Env,
 * Entrypoint, Cmd, WorkingDir, StopSignal, Volumes), checked once when the
 * image is resolved. It comes from a registry or an archive, as JSON of any
 * shape: a field of the wrong type is one line naming the image and the
 * field, not a TypeError deep in planning.
 */
import { MiniRunError } from '../../errors.js'
import type { ImageRunConfig } from './container-spec.js'

function bad(image: string, field: string, what: string): MiniRunError {
  return new MiniRunError(`image ${image}: its config's ${field} is not ${what}`, { code: 'EBADCONFIG' })
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')

/** `config` (the config's "config" object, or undefined) as an ImageRunConfig, or a one-line error. */
export function checkImageRunConfig(config: unknown, image: string): ImageRunConfig {
  if (config === undefined || config === null) return {}
  if (typeof config !== 'object' || Array.isArray(config)) throw bad(image, 'config', 'an object')
  const c = config as Record<string, unknown>
  for (const field of ['User', 'WorkingDir', 'StopSignal'] as const) {
    if (c[field] !== undefined && c[field] !== null && typeof c[field] !== 'string') throw bad(image, field, 'a string')
  }
  for (const field of ['Env', 'Entrypoint', 'Cmd'] as const) {
    if (c[field] !== undefined && c[field] !== null && !isStringArray(c[field])) throw bad(image, field, 'a list of strings')
  }
  if (c.Volumes !== undefined && c.Volumes !== null && (typeof c.Volumes !== 'object' || Array.isArray(c.Volumes))) {
    throw bad(image, 'Volumes', 'an object')
  }
  const out: ImageRunConfig = { ...(c as ImageRunConfig) }
  // null is JSON's "not set"
  for (const field of ['User', 'WorkingDir', 'StopSignal'] as const) if (out[field] === null) delete out[field]
  return out
}
