/**
 * `--network`, repeatable since Docker 25, in both of docker/cli's forms
 * (opts/network.go): a name alone (`--network web`), or the long form's
 * comma-separated fields (`--network name=web,alias=api,ip=10.89.0.9,ip6=fd00::9`).
 * The first network is what a lone --network always was: --network-alias,
 * --ip, --ip6 and --mac-address apply to it, and a per-network value beside one of
 * those is Docker's conflict; the others are joined as eth1, eth2... (the
 * plan's moreNetworks, as a compose service's networks are).
 */
import { UsageError } from '../errors.js'
import { CONTAINER_MODE } from './plan-joined-network.js'
import type { NetworkFlags } from './plan-network.js'

interface Attachment {
  name: string
  aliases: string[]
  ip?: string
  ip6?: string
  mac?: string
}

/** docker/cli's test for the long form: a key=value pair anywhere in the value. */
const LONG_FORM = /\w+=\w+(,\w+=\w+)*/

/** One --network value: the long form's fields, or a name. */
export function parseNetworkOpt(value: string): Attachment {
  if (!LONG_FORM.test(value)) return { name: value, aliases: [] }
  const out: Attachment = { name: '', aliases: [] }
  for (const field of value.split(',')) {
    const eq = field.indexOf('=')
    const key = field.slice(0, eq).trim().toLowerCase()
    if (eq < 1 || key === '') throw new UsageError(`invalid --network "${value}": invalid field ${field}`)
    const v = field.slice(eq + 1).trim()
    if (key === 'name') out.name = v
    else if (key === 'alias') out.aliases.push(v)
    else if (key === 'ip') out.ip = v
    else if (key === 'ip6') out.ip6 = v
    else if (key === 'mac-address') out.mac = v
    else if (key === 'link-local-ip' || key === 'driver-opt' || key === 'gw-priority') {
      throw new UsageError(`invalid --network "${value}": ${key} is not supported (mini-run's networks have netavark's bridge driver and its defaults)`)
    } else throw new UsageError(`invalid --network "${value}": invalid field key ${key}`)
  }
  if (out.name === '') throw new UsageError(`invalid --network "${value}": network name/id is not specified`)
  return out
}

/** The modes that are not a network of the user's (Docker's IsUserDefined is false for them). */
function builtinMode(name: string): boolean {
  return name === 'bridge' || name === 'default' || name === 'host' || name === 'none' || name === 'pasta' || name.startsWith(CONTAINER_MODE)
}

export interface NetworkChoice {
  network?: string
  aliases: string[]
  ip?: string
  ip6?: string
  macAddress?: string
  moreNetworks?: NonNullable<NetworkFlags['moreNetworks']>
}

/** Every --network given, with the flags that apply to the first one (docker/cli parseNetworkOpts). */
export function chooseNetworks(values: readonly string[], legacy: { aliases: string[]; ip?: string; ip6?: string; macAddress?: string }): NetworkChoice {
  const all = values.map(parseNetworkOpt)
  const [first, ...rest] = all
  if (!first) return { aliases: legacy.aliases, ...(legacy.ip !== undefined && { ip: legacy.ip }), ...(legacy.ip6 !== undefined && { ip6: legacy.ip6 }), ...(legacy.macAddress !== undefined && { macAddress: legacy.macAddress }) }
  if (first.aliases.length && legacy.aliases.length) throw new UsageError('conflicting options: cannot specify both --network-alias and per-network alias')
  if (first.ip !== undefined && legacy.ip !== undefined) throw new UsageError('conflicting options: cannot specify both --ip and per-network IPv4 address')
  if (first.ip6 !== undefined && legacy.ip6 !== undefined) throw new UsageError('conflicting options: cannot specify both --ip6 and per-network IPv6 address')
  if (first.mac !== undefined && legacy.macAddress !== undefined) throw new UsageError('conflicting options: cannot specify both --mac-address and per-network MAC address')
  const seen = new Set<string>()
  for (const a of all) {
    if (seen.has(a.name)) throw new UsageError(`network "${a.name}" is specified multiple times`)
    seen.add(a.name)
  }
  if (all.length > 1 && all.some((a) => builtinMode(a.name)) && all.some((a) => !builtinMode(a.name))) {
    throw new UsageError('conflicting options: cannot attach both user-defined and non-user-defined network-modes')
  }
  if (all.length > 1 && all.every((a) => builtinMode(a.name))) {
    throw new UsageError(`conflicting options: only one of ${all.map((a) => a.name).join(', ')}: a container joins several networks only of the user's own (mini-run network create NAME)`)
  }
  const ip = first.ip ?? legacy.ip
  const ip6 = first.ip6 ?? legacy.ip6
  const macAddress = first.mac ?? legacy.macAddress
  return {
    network: first.name,
    aliases: first.aliases.length ? first.aliases : legacy.aliases,
    ...(ip !== undefined && { ip }),
    ...(ip6 !== undefined && { ip6 }),
    ...(macAddress !== undefined && { macAddress }),
    ...(rest.length && { moreNetworks: rest.map((a) => ({ name: a.name, ...(a.aliases.length && { aliases: a.aliases }), ...(a.ip !== undefined && { ip: a.ip }), ...(a.ip6 !== undefined && { ip6: a.ip6 }), ...(a.mac !== undefined && { mac: a.mac }) })) }),
  }
}
