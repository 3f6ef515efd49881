/**
 * `network prune --filter` as Docker's daemon reads it (moby daemon/prune.go
 * NetworksPrune): `until` (one value: a time, or a duration before now, as
 * timetypes.GetTimestamp reads it) spares the networks created after it;
 * `label` and `label!` select as every prune's do (filter-flags.ts).
 */
import { UsageError } from '../errors.js'
import { labelSelection, parseFilterFlags } from '../filter-flags.js'
import type { NetworkDef } from '../network/networks.js'
import { parseLogTime } from './log-time.js'

const KEYS = ['until', 'label', 'label!']

/** What the filters select, or undefined when none is given (every unused network). */
export function networkPruneSelection(flags: readonly string[], now = Date.now()): ((def: NetworkDef) => boolean) | undefined {
  if (flags.length === 0) return undefined
  const filters = parseFilterFlags(flags, KEYS)
  const until = filters.get('until') ?? []
  if (until.length > 1) throw new UsageError('more than one until filter specified')
  const cutoff = until[0] === undefined ? undefined : parseLogTime(until[0], 'until', now)
  const labels = labelSelection(filters)
  return (def) => (cutoff === undefined || Date.parse(def.created) <= cutoff) && (labels === undefined || labels(def.labels ?? {}))
}
