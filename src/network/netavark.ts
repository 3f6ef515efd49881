/**
 * netavark, podman's network backend (Debian: package netavark, with
 * aardvark-dns): a JSON document in on stdin, `netavark setup <netns path>`
 * creates the bridge (if it is the first container), a veth pair with one
 * end in the container as eth0, its address and default route, and the
 * iptables rules (masquerade, port DNAT from other hosts and from
 * 127.0.0.1, isolation between networks), and registers the container's
 * names with aardvark-dns; it prints a status document. `teardown` with the
 * same document undoes exactly that, and removes the bridge and the
 * network's rules with its last container. mini-run does the IPAM itself
 * (leases.ts) and passes static addresses, as podman does.
 */
import { spawnSync } from 'node:child_process'
import { nodeCrypto } from '../lazy-crypto.js'
import { existsSync } from 'node:fs'
import { MiniRunError } from '../errors.js'
import { macOf } from './ipv4.js'
import type { NetworkDef } from './networks.js'
import type { PortMapping } from './port-spec.js'

const SEARCH_DIRS = ['/usr/libexec/podman', '/usr/lib/podman', '/usr/local/libexec/podman', '/usr/local/lib/podman']

/** netavark and aardvark-dns are not on PATH in Debian: they live with podman's helpers. */
export function findHelper(name: 'netavark' | 'aardvark-dns'): string | undefined {
  const env = process.env[name === 'netavark' ? 'MINI_RUN_NETAVARK' : 'MINI_RUN_AARDVARK_DNS']
  if (env) return env
  for (const dir of [...SEARCH_DIRS, ...(process.env.PATH ?? '').split(':').filter(Boolean)]) {
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`
  }
  return undefined
}

/** netavark's NetworkOptions (src/network/types.rs in containers/netavark). */
export interface NetavarkOptions {
  container_id: string
  container_name: string
  port_mappings: { host_ip: string; host_port: number; container_port: number; protocol: string; range: number }[]
  networks: Record<string, { interface_name: string; static_ips: string[]; aliases: string[]; static_mac: string }>
  network_info: Record<string, {
    name: string
    id: string
    driver: string
    network_interface: string
    subnets: { subnet: string; gateway: string }[]
    ipv6_enabled: boolean
    internal: boolean
    dns_enabled: boolean
    options: Record<string, string>
    ipam_options: Record<string, string>
  }>
  dns_servers?: string[]
}

export interface Attachment {
  network: NetworkDef
  /** The network's DNS answers for this container too (set per container for `bridge`). */
  dns: boolean
  ip: string
  /** Its IPv6 address, on a network with an IPv6 subnet. */
  ip6?: string
  interfaceName: string
  aliases: string[]
  mac?: string
}

export function netavarkOptions(o: {
  id: string
  name: string
  attachments: Attachment[]
  ports: PortMapping[]
  dnsServers: string[]
}): NetavarkOptions {
  const networks: NetavarkOptions['networks'] = {}
  const info: NetavarkOptions['network_info'] = {}
  for (const a of o.attachments) {
    networks[a.network.name] = {
      interface_name: a.interfaceName,
      static_ips: [a.ip, ...(a.ip6 !== undefined ? [a.ip6] : [])],
      aliases: a.aliases,
      // Docker's MAC for the address, not netavark's random one (ipv4.ts macOf says why)
      static_mac: a.mac ?? macOf(a.ip),
    }
    info[a.network.name] = {
      name: a.network.name,
      id: a.network.id,
      driver: 'bridge',
      network_interface: a.network.bridge,
      subnets: [
        { subnet: a.network.subnet, gateway: a.network.gateway },
        ...(a.network.subnet6 !== undefined && a.network.gateway6 !== undefined ? [{ subnet: a.network.subnet6, gateway: a.network.gateway6 }] : []),
      ],
      ipv6_enabled: a.network.subnet6 !== undefined,
      // netavark 1.4 (bridge.rs): no default route in the container, the
      // bridge's forwarding sysctl 0, and no firewall rules at all (no
      // masquerade, no port forwarding): reachable only on the bridge
      internal: a.network.internal === true,
      dns_enabled: a.dns,
      // Docker's networks cannot reach each other: netavark's isolate
      // drops forwarding between two isolated bridges
      options: { isolate: 'true', ...(a.network.mtu !== undefined ? { mtu: String(a.network.mtu) } : {}) },
      // "host-local" is podman's name for "the caller did the IPAM": static_ips are assigned as given
      ipam_options: { driver: 'host-local' },
    }
  }
  return {
    container_id: o.id,
    container_name: o.name,
    port_mappings: o.ports.map((p) => ({ host_ip: p.hostIp, host_port: p.hostPort, container_port: p.containerPort, protocol: p.protocol, range: p.range })),
    networks,
    network_info: info,
    ...(o.dnsServers.length ? { dns_servers: o.dnsServers } : {}),
  }
}

/** What `setup` reports per network (its StatusBlock). */
export type NetavarkStatus = Record<string, {
  dns_server_ips?: string[]
  interfaces?: Record<string, { mac_address: string; subnets?: { ipnet: string; gateway?: string }[] }>
}>

export function netavarkArgv(action: 'setup' | 'teardown', netnsPath: string, configDir: string): string[] {
  const aardvark = findHelper('aardvark-dns')
  return ['--config', configDir, ...(aardvark ? ['--aardvark-binary', aardvark] : []), action, netnsPath]
}

/**
 * Run netavark. Its errors come as {"error": "..."} on stdout with a
 * non-zero status; its stderr carries log noise ("failed to connect to
 * syslog") that is shown only with a failure. aardvark-dns, which it may
 * start, redirects its stdio to /dev/null before netavark exits, so the
 * pipes reach end of file.
 */
export function runNetavark(action: 'setup' | 'teardown', netnsPath: string, configDir: string, options: NetavarkOptions): NetavarkStatus {
  const binary = findHelper('netavark')
  if (!binary) {
    throw new MiniRunError('bridge networking needs netavark and aardvark-dns (Debian: apt-get install netavark aardvark-dns), or use --network none|host', { code: 'ENONETAVARK' })
  }
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.RUST_LOG
  // netavark runs iptables from PATH; a user's PATH on Debian lacks /usr/sbin
  env.PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`
  const r = spawnSync(binary, netavarkArgv(action, netnsPath, configDir), {
    input: JSON.stringify(options),
    encoding: 'utf8',
    env,
    timeout: 60_000,
  })
  if (r.error) throw new MiniRunError(`netavark ${action}: ${r.error.message}`, { cause: r.error })
  if (r.status !== 0) {
    let message = (r.stdout || '').trim()
    try {
      message = (JSON.parse(message) as { error?: string }).error ?? message
    } catch {
      // not JSON: its own words
    }
    const noise = (r.stderr || '').split('\n').filter((l) => l && !l.includes('syslog')).join('; ')
    throw new MiniRunError(`netavark ${action}: ${message || noise || `exit status ${r.status}`}`, { code: 'ENETAVARK' })
  }
  if (action === 'teardown') return {}
  for (const info of Object.values(options.network_info)) pinBridgeAddress(info.network_interface, info.name)
  try {
    return JSON.parse(r.stdout) as NetavarkStatus
  } catch (err) {
    throw new MiniRunError(`netavark setup: unreadable status: ${r.stdout.slice(0, 200)}`, { cause: err })
  }
}

/**
 * A Linux bridge that was given no address takes the lowest of its ports'
 * (br_stp_recalculate_bridge_id): a container that leaves, or starts again
 * with new veths, can change it, and the other containers' neighbour
 * entries for the gateway, their DNS server, then name an address nobody
 * has while they stay REACHABLE (no name resolves for half a minute). An
 * address set is kept (NET_ADDR_SET): each network's bridge gets its own,
 * locally administered and derived from its name, so setting it again is a
 * no-op.
 */
function pinBridgeAddress(bridge: string, network: string): void {
  const bytes = nodeCrypto().createHash('sha256').update(`mini-run bridge ${network} ${bridge}`).digest()
  const mac = [0x02, ...bytes.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0')).join(':')
  const r = spawnSync('ip', ['link', 'set', 'dev', bridge, 'address', mac], { encoding: 'utf8' })
  if (r.error || r.status !== 0) throw new MiniRunError(`set the address of bridge ${bridge}: ${(r.error?.message ?? r.stderr).trim()}`, { code: 'ENETAVARK' })
}
