/**
 * A compose file's top-level `networks:` as mini-run makes them: a bridge
 * network each (`network create`'s options: internal, ipam's one IPv4
 * subnet with its ip_range and gateway, enable_ipv6 with an IPv6 one, the bridge driver_opts netavark
 * honours, attachable), checked here so that an error names the path in
 * the file before `up` makes anything.
 */
import { bridgeOptions, checkAuxAddresses, checkIpRange, sortedByName } from '../network/create-options.js'
import { parseCidr, parseIp } from '../network/ipv4.js'
import { ipv6Subnet } from '../network/ipv6-subnet.js'
import type { NetworkDef } from '../network/networks.js'
import type { At } from './compose-error.js'
import { LABELS } from './labels.js'
import type { ProjectNetwork } from './model.js'
import { bool, isMap, listOrDict, str, type Raw } from './values.js'

const KEYS = ['name', 'external', 'driver', 'driver_opts', 'ipam', 'internal', 'attachable', 'enable_ipv6', 'labels']

export function projectNetworks(v: unknown, project: string, at: (key: string) => At): Record<string, ProjectNetwork> {
  const out: Record<string, ProjectNetwork> = {}
  const declared = isMap(v) ? v : {}
  for (const [key, value] of Object.entries({ default: null, ...declared })) {
    const here = at(key)
    const n: Raw = isMap(value) ? value : {}
    for (const k of Object.keys(n)) {
      if (!KEYS.includes(k) && !k.startsWith('x-')) throw here.at(k).error('not supported by mini-run')
    }
    if (n.driver !== undefined && str(n.driver, here.at('driver')) !== 'bridge') throw here.at('driver').error(`the ${String(n.driver)} driver is not supported by mini-run (bridge)`)
    const ipv6 = n.enable_ipv6 !== undefined && bool(n.enable_ipv6, here.at('enable_ipv6'))
    const external = n.external === undefined ? false : isMap(n.external) ? true : bool(n.external, here.at('external'))
    const ipam = isMap(n.ipam) ? n.ipam : undefined
    // the daemon's words for a driver it cannot find (docker compose passes it on)
    // (empty: the default, as moby's NetworkOptionIpam takes it)
    const ipamDriver = ipam?.driver !== undefined ? str(ipam.driver, here.at('ipam', 'driver')) : undefined
    if (ipamDriver !== undefined && ipamDriver !== '' && ipamDriver !== 'default') {
      throw here.at('ipam', 'driver').error(`could not find plugin ${ipamDriver} in v1 plugin registry: plugin not found`)
    }
    const pools = ipamPools(Array.isArray(ipam?.config) ? ipam.config : [], here.at('ipam', 'config'))
    const v6 = pools.v6 ? ipv6Pool(pools.v6.raw, pools.v6.at, ipv6) : {}
    if (ipv6 && n.internal !== undefined && bool(n.internal, here.at('internal'))) throw here.at('enable_ipv6').error('not supported by mini-run on an internal network: its fence is IPv4 rules only')
    const c = pools.v4?.raw ?? {}
    const cfg = pools.v4?.at ?? here.at('ipam', 'config', 0)
    const subnet = c.subnet !== undefined ? str(c.subnet, cfg.at('subnet')) : undefined
    const ipRange = c.ip_range !== undefined ? str(c.ip_range, cfg.at('ip_range')) : undefined
    if (ipRange !== undefined) {
      if (subnet === undefined) throw cfg.at('ip_range').error(`no matching subnet for range ${ipRange}`)
      try {
        checkIpRange(ipRange, parseCidr(subnet))
      } catch (err) {
        throw cfg.at('ip_range').error((err as Error).message, err)
      }
    }
    let auxAddresses: Record<string, string> | undefined
    if (c.aux_addresses !== undefined) {
      const at = cfg.at('aux_addresses')
      auxAddresses = sortedByName(Object.fromEntries(Object.entries(isMap(c.aux_addresses) ? c.aux_addresses : {}).map(([k, v]) => [k, str(v, at.at(k))])))
      try {
        const parsed = subnet !== undefined ? parseCidr(subnet) : undefined
        checkAuxAddresses(auxAddresses, parsed, c.gateway !== undefined ? parseIp(str(c.gateway, cfg.at('gateway')), 'gateway') : parsed && parsed.network + 1)
      } catch (err) {
        throw at.error((err as Error).message, err)
      }
    }
    const driverOpts = n.driver_opts === undefined ? undefined : driverOptions(n.driver_opts, here.at('driver_opts'))
    const name = n.name !== undefined ? str(n.name, here.at('name')) : isMap(n.external) && n.external.name !== undefined ? str(n.external.name, here.at('external', 'name')) : external ? key : `${project}_${key}`
    out[key] = {
      name,
      external,
      ...(subnet !== undefined ? { subnet } : {}),
      ...(ipRange !== undefined ? { ipRange } : {}),
      ...(auxAddresses !== undefined && Object.keys(auxAddresses).length ? { auxAddresses } : {}),
      ...(ipamDriver ? { ipamDriver } : {}),
      ...(c.gateway !== undefined ? { gateway: str(c.gateway, cfg.at('gateway')) } : {}),
      ...(ipv6 ? { ipv6: true } : {}),
      ...v6,
      ...(n.internal !== undefined && bool(n.internal, here.at('internal')) ? { internal: true } : {}),
      ...(n.attachable !== undefined && bool(n.attachable, here.at('attachable')) ? { attachable: true } : {}),
      ...(driverOpts ? { driverOpts } : {}),
      labels: { ...listOrDict(n.labels, here.at('labels')), [LABELS.project]: project, [LABELS.network]: key },
    }
  }
  return out
}

/**
 * ipam.config: one pool of each family at most (a mini-run network has one
 * IPv4 subnet and, with enable_ipv6, one IPv6 subnet); a pool's family is
 * its subnet's (a pool without one is IPv4's, as its gateway or range says).
 */
function ipamPools(configs: unknown[], at: At): { v4?: { raw: Raw; at: At }; v6?: { raw: Raw; at: At } } {
  const out: { v4?: { raw: Raw; at: At }; v6?: { raw: Raw; at: At } } = {}
  configs.forEach((value, i) => {
    const raw: Raw = isMap(value) ? value : {}
    const family = typeof raw.subnet === 'string' && raw.subnet.includes(':') ? 'v6' : 'v4'
    if (out[family]) throw at.at(i).error(`one ${family === 'v6' ? 'IPv6' : 'IPv4'} subnet per network`)
    out[family] = { raw, at: at.at(i) }
  })
  return out
}

/** The IPv6 pool: its subnet and gateway (network create --ipv6's), only with enable_ipv6, as Docker needs it. */
function ipv6Pool(raw: Raw, at: At, ipv6: boolean): { subnet6?: string; gateway6?: string } {
  if (!ipv6) throw at.at('subnet').error('an IPv6 subnet needs enable_ipv6: true')
  for (const k of Object.keys(raw)) if (k !== 'subnet' && k !== 'gateway' && !k.startsWith('x-')) throw at.at(k).error('not supported by mini-run on an IPv6 pool (its subnet and gateway are)')
  const subnet6 = str(raw.subnet, at.at('subnet'))
  const gateway6 = raw.gateway !== undefined ? str(raw.gateway, at.at('gateway')) : undefined
  try {
    // as the network will have them, in RFC 5952's form (so that up compares like with like)
    const made = ipv6Subnet({ subnet6, ...(gateway6 !== undefined ? { gateway6 } : {}) }, [])
    return { subnet6: made.subnet, ...(gateway6 !== undefined ? { gateway6: made.gateway } : {}) }
  } catch (err) {
    throw at.error((err as Error).message, err)
  }
}

/** driver_opts: strings (a number as its text), only the bridge options netavark has. */
function driverOptions(v: unknown, at: At): Record<string, string> {
  const opts: Record<string, string> = {}
  for (const [key, value] of Object.entries(isMap(v) ? v : {})) opts[key] = str(value, at.at(key))
  try {
    bridgeOptions(opts)
  } catch (err) {
    throw at.error((err as Error).message, err)
  }
  return opts
}

/**
 * How an existing network differs from the file's, in the file's terms
 * (empty when it does not): `up` uses it all the same, as it uses one made
 * for another project, and says so.
 */
export function networkDifferences(def: NetworkDef, n: ProjectNetwork): string[] {
  const out: string[] = []
  const opts = bridgeOptions(n.driverOpts ?? {})
  const differ = (what: string, file: unknown, actual: unknown) => {
    if (file !== actual) out.push(`${what} ${String(file ?? 'unset')} in the file, ${String(actual ?? 'unset')} on the network`)
  }
  differ('internal', n.internal === true, def.internal === true)
  if (n.subnet !== undefined) differ('subnet', n.subnet, def.subnet)
  if (n.gateway !== undefined) differ('gateway', n.gateway, def.gateway)
  differ('ip_range', n.ipRange, def.ipRange)
  differ('enable_ipv6', n.ipv6 === true, def.subnet6 !== undefined)
  if (n.subnet6 !== undefined) differ('IPv6 subnet', n.subnet6, def.subnet6)
  if (n.gateway6 !== undefined) differ('IPv6 gateway', n.gateway6, def.gateway6)
  const aux = (a: Record<string, string> | undefined) => (a && Object.keys(a).length ? Object.entries(a).sort().map(([k, v]) => `${k}=${v}`).join(',') : undefined)
  differ('aux_addresses', aux(n.auxAddresses), aux(def.auxAddresses))
  if (opts.bridge !== undefined) differ('bridge name', opts.bridge, def.bridge)
  differ('mtu', opts.mtu, def.mtu)
  return out
}
