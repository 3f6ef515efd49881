/**
 * `--filter key=value` flags as Docker's CLI and daemon read them
 * (docker/cli opts.FilterOpt, then filters.Args.Validate): values of one key
 * gathered in order, a key the verb does not know refused. And the label
 * keys the prune verbs share (moby daemon/prune.go matchLabels): every
 * `label=KEY[=VALUE]` must match (filters.Args.MatchKVList), and an object
 * that every `label!=` matches is spared.
 */
import { UsageError } from './errors.js'

export type FilterFlags = Map<string, string[]>

export function parseFilterFlags(flags: readonly string[], keys: readonly string[]): FilterFlags {
  const filters: FilterFlags = new Map()
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    const key = flag.slice(0, eq).trim().toLowerCase()
    if (eq < 0 || !key) throw new UsageError('bad format of filter (expected name=value)')
    if (!keys.includes(key)) throw new UsageError(`invalid filter '${key}'`)
    filters.set(key, [...(filters.get(key) ?? []), flag.slice(eq + 1).trim()])
  }
  return filters
}

/** KEY: the object has the label; KEY=VALUE: with that value. */
export function labelMatches(wanted: string, labels: Readonly<Record<string, string>>): boolean {
  const eq = wanted.indexOf('=')
  const key = eq < 0 ? wanted : wanted.slice(0, eq)
  if (!Object.hasOwn(labels, key)) return false
  return eq < 0 || labels[key] === wanted.slice(eq + 1)
}

/** What `label` and `label!` select, or undefined when neither is given. */
export function labelSelection(filters: FilterFlags): ((labels: Readonly<Record<string, string>>) => boolean) | undefined {
  const wanted = filters.get('label') ?? []
  const unwanted = filters.get('label!') ?? []
  if (!wanted.length && !unwanted.length) return undefined
  return (labels) => wanted.every((l) => labelMatches(l, labels)) && !(unwanted.length && unwanted.every((l) => labelMatches(l, labels)))
}
