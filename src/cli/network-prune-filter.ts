/**
 * `network prune --filter` as Docker's daemon reads it (moby daemon/prune.go
 * NetworksPrune): until, label and label! (prune-filter.ts).
 */
import type { NetworkDef } from '../network/networks.js'
import { pruneSelects } from '../prune-filter.js'
import { parsePruneFilter } from './prune-filter-flags.js'

/** What the filters select, or undefined when none is given (every unused network). */
export function networkPruneSelection(flags: readonly string[], now = Date.now()): ((def: NetworkDef) => boolean) | undefined {
  const filter = parsePruneFilter(flags, undefined, now)
  if (!filter) return undefined
  return (def) => pruneSelects(filter, def.created, def.labels)
}
