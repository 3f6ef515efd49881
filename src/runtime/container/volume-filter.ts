/**
 * `volume ls --filter` and `volume prune --filter` as Docker's daemon reads them (moby
 * volume/service/convert.go, filtersToBy): `key=value` pairs; values of one
 * key are alternatives, except `label`, whose values must all match
 * (filters.Args.MatchKVList). `name` is an unanchored regular expression
 * or the exact name (filters.Args.Match); `driver` a driver's name;
 * `label` KEY or KEY=VALUE, an anonymous volume carrying
 * com.docker.volume.anonymous; `dangling` true or false (1 or 0): no
 * container uses it, running or not. Prune takes `label`, `label!` (a
 * volume all of whose values match stays) and `all` (as -a).
 */
import { UsageError } from '../../errors.js'
import { parseBoolValue } from '../../go-bool.js'
import { labelMatches, labelSelection, parseFilterFlags, type FilterFlags } from '../../filter-flags.js'
import { volumeLabels, type VolumeInfo } from './volume-store.js'

export type VolumeFilters = FilterFlags

const LIST_KEYS = ['dangling', 'driver', 'label', 'name']
const PRUNE_KEYS = ['label', 'label!', 'all']

/** `--filter key=value` flags, checked (docker/cli's FilterOpt, then the daemon's Validate); `volume prune`'s keys with prune. */
export function parseVolumeFilters(flags: string[], o: { prune?: boolean } = {}): VolumeFilters {
  const filters = parseFilterFlags(flags, o.prune ? PRUNE_KEYS : LIST_KEYS)
  const dangling = filters.get('dangling')
  if (dangling) {
    // GetBoolOrDefault: neither a true nor a false value, or both, is an error
    const isTrue = dangling.some((v) => v === 'true' || v === '1')
    const isFalse = dangling.some((v) => v === 'false' || v === '0')
    if (isTrue === isFalse) throw new UsageError(`invalid filter 'dangling=${dangling.join(',')}'`)
  }
  return filters
}

/** Does filters ask who uses each volume (dangling=)? Then the caller passes inUse. */
export function needsUsers(filters: VolumeFilters): boolean {
  return filters.has('dangling')
}

function nameMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true
  try {
    return new RegExp(pattern).test(name)
  } catch {
    return false // Docker's Match skips a value that is no regular expression
  }
}

/** The volumes that pass every filter; inUse holds the names of those a container uses. */
export function filterVolumes(volumes: VolumeInfo[], filters: VolumeFilters, inUse: ReadonlySet<string> = new Set()): VolumeInfo[] {
  const dangling = filters.get('dangling')?.some((v) => v === 'true' || v === '1')
  return volumes.filter((v) => {
    const drivers = filters.get('driver')
    if (drivers && !drivers.includes(v.driver)) return false
    const names = filters.get('name')
    if (names && !names.some((p) => nameMatches(p, v.name))) return false
    const labels = filters.get('label')
    if (labels && !labels.every((l) => labelMatches(l, volumeLabels(v)))) return false
    if (dangling !== undefined && dangling === inUse.has(v.name)) return false
    return true
  })
}

/** What `volume prune --filter` asks (moby withPrune, byLabelFilter): named ones too (all=), and which labels. */
export function pruneSelection(filters: VolumeFilters): { all: boolean; only?: (v: VolumeInfo) => boolean } {
  const allValues = filters.get('all') ?? []
  if (allValues.length > 1) throw new UsageError(`invalid filter 'all=${allValues.join(',')}': only one value is expected`)
  const [allValue] = allValues
  // strconv.ParseBool, which the daemon reads all= with
  const all = allValue === undefined ? false : parseBoolValue(allValue)
  if (all === undefined) throw new UsageError(`invalid filter 'all=${allValue}'`)
  const selected = labelSelection(filters)
  if (!selected) return { all }
  return { all, only: (v) => selected(volumeLabels(v)) }
}
