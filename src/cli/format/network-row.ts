/**
 * `network ls`'s columns for --format (docker/cli cli/command/formatter/
 * network.go): its fields, in the alphabetical order `{{json .}}` gives
 * them, and `.Label NAME` as a method. IPv6 and Internal are Go's bools as
 * text; Labels "k=v" joined by commas (sorted: Go's map order is random).
 */
import type { NetworkListEntry } from '../../network/network-list.js'
import { goTime } from './units.js'

/** Docker's default columns, and `-q`'s. */
export const NETWORKS_TABLE = '{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}'
export const NETWORKS_QUIET = '{{.ID}}'

export const NETWORK_HEADERS: Record<string, string> = {
  CreatedAt: 'CREATED AT',
  Driver: 'DRIVER',
  ID: 'NETWORK ID',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  Name: 'NAME',
  Scope: 'SCOPE',
}

export function networkRow(n: NetworkListEntry, o: { noTrunc?: boolean } = {}): Record<string, unknown> {
  return {
    CreatedAt: goTime(n.created),
    Driver: n.driver,
    // stringid.TruncateID: the first 12 of a long id
    ID: o.noTrunc ? n.id : n.id.slice(0, 12),
    IPv6: String(n.ipv6),
    Internal: String(n.internal),
    Labels: Object.keys(n.labels).sort().map((k) => `${k}=${n.labels[k]}`).join(','),
    Name: n.name,
    Scope: n.scope,
    Label: (name: unknown) => n.labels[String(name)] ?? '',
  }
}
