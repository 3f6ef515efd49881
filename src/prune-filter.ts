/**
 * The --filter of `container prune`, `image prune`, `network prune` and
 * `system prune`, as Docker's daemon reads it (moby daemon/prune.go, and
 * the image service's ImagesPrune): `until` (one value: a time, or a
 * duration before now, timetypes.GetTimestamp's forms) spares what was
 * created after it; `label` and `label!` select as filter-flags.ts says.
 * image prune's CLI adds `dangling`, which -a sets (dangling=false). The
 * flags are read by cli/prune-filter-flags.ts.
 */
import { labelMatches } from './filter-flags.js'

export interface PruneFilter {
  /** Created at or before this (ms since the epoch); none: no bound. */
  until?: number
  /** label and label! as containers, networks and volumes take them: every label=, and not every label! (moby's matchLabels). */
  labels?: (labels: Readonly<Record<string, string>>) => boolean
  /** label's and label!'s values: images take them as their list does (imageSelects). */
  wanted: string[]
  unwanted: string[]
  /** dangling's values, as given (image prune: cli/prune-filter-flags.ts pruneAllImages). */
  dangling?: string[]
  /** The filters as given, `key=value`, sorted: system prune's question lists them. */
  given: string[]
}

/** Whether a prune with `filter` takes a container or network created at `created` (RFC 3339) with these labels. */
export function pruneSelects(filter: PruneFilter | undefined, created: string | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!filter) return true
  // an object whose creation time is not known is spared by until (ImagesPrune's img.Created == nil)
  if (filter.until !== undefined && !(created !== undefined && Date.parse(created) <= filter.until)) return false
  return !filter.labels || filter.labels(labels ?? {})
}

/**
 * Whether image prune with `filter` takes an image: as `images --filter`
 * lists it (moby's containerd image store, Docker's default: each label=
 * present, each label!= absent or of another value, made strictly before
 * until), so that the list shows what the prune takes. The time is the
 * image's config's, as the list's CREATED (the store keeps no other).
 */
export function imageSelects(filter: PruneFilter | undefined, created: string | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!filter) return true
  if (filter.until !== undefined && !(created !== undefined && Date.parse(created) < filter.until)) return false
  const l = labels ?? {}
  return filter.wanted.every((v) => labelMatches(v, l)) && filter.unwanted.every((v) => !labelMatches(v, l))
}
