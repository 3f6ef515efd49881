/**
 * What `network ls` lists, and its --filter as Docker's daemon reads it
 * (moby daemon/network/filter.go, FilterNetworks): `key=value` pairs;
 * values of one key are alternatives, except `label`, whose values must
 * all match (filters.Args.MatchKVList). `name` and `id` are unanchored
 * regular expressions or the exact value (filters.Args.Match); `driver`
 * and `scope` exact; `type` custom or builtin (bridge, host and none are
 * Docker's predefined networks).
 */
import { naturalOrder } from '../natural-order.js'
import { UsageError } from '../errors.js'
import { labelMatches, parseFilterFlags, type FilterFlags } from '../filter-flags.js'
import { modeNetworks, type ModeNetwork } from './network-inspect.js'
import { listNetworks } from './networks.js'

/** One row of `network ls`: a network of mini-run's, or the host and none modes, which Docker lists as networks. */
export interface NetworkListEntry {
  id: string
  name: string
  driver: string
  scope: 'local'
  internal: boolean
  ipv6: boolean
  labels: Record<string, string>
  created: string
  builtin: boolean
}

export type NetworkFilters = FilterFlags

const FILTER_KEYS = ['driver', 'id', 'label', 'name', 'scope', 'type']

/** Every network, host and none too, in the order Docker's CLI sorts them: by name, numbers by value. */
export function listNetworkEntries(storeRoot: string): NetworkListEntry[] {
  const mode = ({ name, driver }: ModeNetwork): NetworkListEntry => ({
    // `network inspect host` says this id too (network-inspect.ts)
    id: name,
    name,
    driver,
    scope: 'local',
    internal: false,
    ipv6: false,
    labels: {},
    created: '1970-01-01T00:00:00Z',
    builtin: true,
  })
  const defs = listNetworks(storeRoot).map((d): NetworkListEntry => ({
    id: d.id,
    name: d.name,
    driver: d.driver,
    scope: 'local',
    internal: d.internal === true,
    ipv6: d.subnet6 !== undefined,
    labels: d.labels ?? {},
    created: d.created,
    builtin: d.builtin === true,
  }))
  // host and none, as Docker lists them; a rootless user's pasta in place of root's bridge
  return [...defs, ...modeNetworks().map(mode)].sort((a, b) => naturalOrder(a.name, b.name))
}

/** `--filter key=value` flags, checked as docker/cli's FilterOpt, then the daemon, check them. */
export function parseNetworkFilters(flags: readonly string[]): NetworkFilters {
  const filters = parseFilterFlags(flags, FILTER_KEYS)
  for (const type of filters.get('type') ?? []) {
    if (type !== 'custom' && type !== 'builtin') throw new UsageError(`invalid filter: 'type'='${type}'`)
  }
  return filters
}

/** The networks that pass every filter. */
export function filterNetworks(networks: readonly NetworkListEntry[], filters: NetworkFilters): NetworkListEntry[] {
  const any = (key: string, test: (value: string) => boolean) => {
    const values = filters.get(key)
    return values === undefined || values.some(test)
  }
  return networks.filter(
    (n) =>
      any('driver', (v) => v === n.driver) &&
      any('scope', (v) => v === n.scope) &&
      any('name', (v) => matches(v, n.name)) &&
      any('id', (v) => matches(v, n.id)) &&
      any('type', (v) => (v === 'builtin') === n.builtin) &&
      (filters.get('label') ?? []).every((l) => labelMatches(l, n.labels)),
  )
}

/** filters.Args.Match: the value itself, or an unanchored regular expression (one that is none matches nothing). */
function matches(pattern: string, value: string): boolean {
  if (pattern === value) return true
  try {
    return new RegExp(pattern).test(value)
  } catch {
    return false
  }
}
