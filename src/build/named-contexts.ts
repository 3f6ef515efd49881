/**
 * Named build contexts (`--build-context NAME=VALUE`, compose's
 * additional_contexts), as BuildKit takes them: `FROM NAME`, `COPY
 * --from=NAME` and `RUN --mount=from=NAME` read the named context instead
 * of the image or stage of that name (a stage of the Dockerfile with that
 * name is overridden).
 *
 * - a directory: a context of its own, with its own .dockerignore, for COPY
 *   and mounts; FROM of it is its files on scratch (one layer, root's), as BuildKit takes it;
 * - `docker-image://REF`: that image, from the store or pulled.
 *
 * BuildKit's other sources (URLs, git, `oci-layout://`, `target:`) are
 * refused by name.
 */
import { resolve } from 'node:path'
import { UsageError } from '../errors.js'
import { contextKey } from './context-key.js'
import { BuildContext } from './build-context.js'
import type { Stage } from './dockerfile.js'

/**
 * The named context `COPY --from=REF` reaches: its name's, or for a stage's
 * number, that stage's name's (a named context replaces the whole stage,
 * whichever way it is named: BuildKit's dispatch), never a context named
 * by the number itself.
 */
export function fromContext(contexts: ReadonlyMap<string, NamedContext>, stages: readonly Pick<Stage, 'name'>[], ref: string): NamedContext | undefined {
  if (!/^\d+$/.test(ref) || stages[Number(ref)] === undefined) return namedContext(contexts, ref)
  const name = stages[Number(ref)]!.name
  return name === undefined ? undefined : namedContext(contexts, name)
}

/** An image's `storeOnly`: another service's image, just built, never pulled (compose's service:NAME). */
export { contextKey }

export type NamedContext = { kind: 'dir'; fs: BuildContext } | { kind: 'image'; ref: string; storeOnly?: boolean }

const IMAGE = 'docker-image://'

/** The named context for a FROM or --from reference, if there is one. */
export function namedContext(contexts: ReadonlyMap<string, NamedContext>, ref: string): NamedContext | undefined {
  if (contexts.size === 0) return undefined
  const key = contextKey(ref)
  return key === undefined ? undefined : contexts.get(key)
}

/** NAME=VALUE values, by name; a relative directory from `base`; `storeOnly` names images from the store alone. */
export function parseNamedContexts(values: readonly string[], base = process.cwd(), storeOnly: ReadonlySet<string> = new Set()): Map<string, NamedContext> {
  const out = new Map<string, NamedContext>()
  for (const v of values) {
    const eq = v.indexOf('=')
    const name = eq < 0 ? '' : v.slice(0, eq)
    const value = eq < 0 ? '' : v.slice(eq + 1)
    if (!name || !value) throw new UsageError(`invalid --build-context "${v}": expected NAME=DIRECTORY or NAME=docker-image://REF`)
    const key = contextKey(name)
    if (key === undefined) throw new UsageError(`invalid --build-context "${v}": the name must be a valid image or stage name (lower case)`)
    if (value.startsWith(IMAGE)) {
      const ref = value.slice(IMAGE.length)
      if (!ref) throw new UsageError(`invalid --build-context "${v}": docker-image:// names no image`)
      out.set(key, { kind: 'image', ref, ...(storeOnly.has(name) ? { storeOnly: true } : {}) })
      continue
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith('git@') || value.startsWith('target:')) {
      throw new UsageError(`--build-context ${name}=${value}: only a directory or docker-image://REF is supported`)
    }
    try {
      out.set(key, { kind: 'dir', fs: BuildContext.open(resolve(base, value), undefined, `build context "${name}"`) })
    } catch (err) {
      throw new UsageError(`--build-context ${name}: ${(err as Error).message}`, { cause: err })
    }
  }
  return out
}
