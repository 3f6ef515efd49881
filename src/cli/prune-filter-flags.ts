/**
 * The --filter flags of the prune verbs, read into a PruneFilter
 * (prune-filter.ts). A value given twice is one, as in Docker's
 * filters.Args. A key the verb does not take, a second until or a time
 * that is none are refused before the confirmation question, where
 * Docker's daemon refuses them after it: nothing is asked for in vain.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { UsageError } from '../errors.js'
import { labelSelection, parseFilterFlags } from '../filter-flags.js'
import { dockerConfigDir } from '../registry/docker-config.js'
import { naturalOrder } from '../natural-order.js'
import type { PruneFilter } from '../prune-filter.js'
import { parseLogTime } from './time-text.js'

export const PRUNE_KEYS = ['until', 'label', 'label!']

/** The filters of `flags` (keys: those the verb takes), or undefined when none is given. */
export function parsePruneFilter(flags: readonly string[], keys: readonly string[] = PRUNE_KEYS, now = Date.now()): PruneFilter | undefined {
  if (flags.length === 0) return undefined
  const filters = new Map([...parseFilterFlags(flags, keys)].map(([k, vs]) => [k, [...new Set(vs)]]))
  const until = filters.get('until') ?? []
  if (until.length > 1) throw new UsageError('more than one until filter specified')
  const labels = labelSelection(filters)
  const filter: PruneFilter = {
    // docker/cli lists these three, sorted as sortorder does
    given: [...filters].filter(([k]) => PRUNE_KEYS.includes(k)).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`)).sort(naturalOrder),
    wanted: filters.get('label') ?? [],
    unwanted: filters.get('label!') ?? [],
  }
  if (until[0] !== undefined) filter.until = parseLogTime(until[0], 'until', now)
  if (labels) filter.labels = labels
  if (filters.has('dangling')) filter.dangling = filters.get('dangling')!
  return filter
}

/**
 * image prune's dangling as its daemon reads it: docker/cli adds
 * dangling=!all to the user's values, and filters.Args.GetBoolOrDefault
 * takes 1/true or 0/false from them (other values ignored), refusing both
 * or neither. Whether every unused image goes (dangling false).
 */
export function pruneAllImages(all: boolean, filter: PruneFilter | undefined): boolean {
  return danglingFalse([...(filter?.dangling ?? []), String(!all)])
}

/** dangling's values as the daemon reads them (GetBoolOrDefault, default true): whether they say false. */
export function danglingFalse(given: readonly string[]): boolean {
  if (given.length === 0) return false
  const values = [...new Set(given)]
  const isTrue = values.includes('1') || values.includes('true')
  const isFalse = values.includes('0') || values.includes('false')
  if (isTrue === isFalse) throw new UsageError(`invalid filter 'dangling=[${values.join(' ')}]'`)
  return isFalse
}

/**
 * The filters given, and those Docker's client configuration adds to every
 * prune (`"pruneFilters": ["label!=keep", "until=24h"]` in
 * $DOCKER_CONFIG/config.json, docker/cli's command.PruneFilters): a
 * label= left out when label!= names it already, or the reverse; one
 * without `=` skipped. No file, or one that is no JSON: the flags alone.
 */
export function withConfigPruneFilters(flags: readonly string[], configDir = dockerConfigDir()): string[] {
  let config: { pruneFilters?: unknown }
  try {
    config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { pruneFilters?: unknown }
  } catch {
    return [...flags]
  }
  const out = [...flags]
  if (!Array.isArray(config?.pruneFilters)) return out
  const has = (key: string, value: string) => out.some((f) => f === `${key}=${value}`)
  for (const f of config.pruneFilters) {
    if (typeof f !== 'string' || !f.includes('=')) continue
    const key = f.slice(0, f.indexOf('='))
    const value = f.slice(key.length + 1)
    if ((key === 'label' && has('label!', value)) || (key === 'label!' && has('label', value))) continue
    out.push(f)
  }
  return out
}
