/**
 * A container's network, decided before it starts: the mode (Docker's
 * --network), the networks it joins with which names, the ports it
 * publishes, what its /etc/hosts and /etc/resolv.conf will say, and the
 * parent's steps --explain shows. Reads network definitions, the host's
 * routes and resolv.conf; creates nothing (attach.ts does, after clone).
 */
import { isIPv6 } from 'node:net'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../errors.js'
import type { SpecMount } from '../runtime/spec/spec.js'
import { hostsNamesOf, parseAddHost, resolveHostGateway, type HostEntry } from './etc-files.js'
import { bindEtcFiles, hostEtcFiles, noneEtcFiles, type EtcFiles } from './plan-etc-files.js'
import { hostResolvConf, hostRoutes, isLoopbackResolver, type HostRoute, type ResolvConf } from './host-net.js'
import { contains, isIp, parseCidr, parseIp } from './ipv4.js'
import { checkSubnetFree, DEFAULT_NETWORK, defaultNetwork, findNetwork, type NetworkDef } from './networks.js'
import { exposedKeys, exposedPorts, formatPorts, parsePublish, type PortMapping } from './port-spec.js'
import { pastaUnusable } from './pasta.js'
import { findHelper } from './netavark.js'
import { anchorName, fastBridgeKind } from './fast-bridge.js'
import { fenceRules, FENCE_CHAIN } from './internal-fence.js'
import { CONTAINER_MODE, planJoinedNetwork, type JoinedContainer } from './plan-joined-network.js'

/** Docker's network flags of `run`. */
export interface NetworkFlags {
  /** --network: bridge (default), none, host, pasta (rootless), container:NAME|ID, or a network's name. */
  network?: string
  /** --network-alias: more names on a user-defined network. */
  aliases?: string[]
  /** -p/--publish */
  publish?: string[]
  /** -P/--publish-all: the exposed ports (the image's and --expose's) on free host ports. */
  publishAll?: boolean
  /** --expose, as ExposedPorts keys (port-spec.ts parseExpose): "80/tcp", one a port. */
  expose?: string[]
  dns?: string[]
  dnsSearch?: string[]
  dnsOption?: string[]
  /** --add-host NAME:IP */
  addHost?: string[]
  macAddress?: string
  ip?: string
  /**
   * Networks joined at the start besides --network's (eth1, eth2...): a
   * compose service's other networks, as Docker 25's repeated --network.
   * Joined at every start, as the first is.
   */
  moreNetworks?: { name: string; aliases?: string[]; ip?: string; mac?: string }[]
}

export interface NetworkContext {
  id: string
  name: string
  hostname: string
  domainname?: string
  storeRoot: string
  stateRoot: string
  rootless: boolean
  /** Where the per-container files are written (the container's own directory). */
  filesDir: string
  /** A --rootfs directory: files are bound only over those it has (it is the user's, not ours to add to). */
  rootfsDir?: string
  /** The image's ExposedPorts, for -P. */
  exposed?: Record<string, unknown> | null
  /** --network container:X: X as found (runtime/container/network-container.ts), whose network this one joins. */
  networkOf?: JoinedContainer
  /** The host's resolv.conf and routes (read from the host when not given). */
  host?: { resolv: ResolvConf; routes: HostRoute[] }
  /** --read-only: the /etc files bound read-only too, as Docker's (NetworkMounts: Writable: !ReadonlyRootfs). */
  readOnly?: boolean
}

export interface PlannedAttachment {
  network: NetworkDef
  dns: boolean
  interfaceName: string
  aliases: string[]
  ip?: string
  mac?: string
}

/** One thing the network setup does, and why: a line of --explain. */
export interface ExplainLine {
  what: string
  why: string
}

export interface NetworkPlan {
  mode: 'none' | 'host' | 'bridge' | 'pasta' | 'container'
  /** --network container:X: whose network namespace each start joins, by id; ref as the user named it, for errors. */
  container?: { id: string; ref: string; stateRoot: string }
  attachments: PlannedAttachment[]
  /** Requested; a host port of 0 is picked when the lease is taken. */
  ports: PortMapping[]
  /**
   * The image's ExposedPorts keys ("80/tcp", "8000-8010/tcp") and --expose's,
   * published or not: the container's own ports, which `ps --filter expose=`
   * looks for and inspect shows (Config.ExposedPorts).
   */
  exposed?: string[]
  /** --dns on a network with its own DNS server: that server's upstreams for this container. */
  dnsServers: string[]
  resolv: ResolvConf
  /** pasta forwards DNS sent to this address to the host's resolver. */
  pastaDnsForward?: string
  hostsExtra: HostEntry[]
  hostsNames: string[]
  hostname: string
  /** Per-container files: host path -> container path. */
  files: EtcFiles
  /** --network none and host: the files' texts, written before the clone (no network step writes them). */
  texts?: EtcFiles
  mounts: SpecMount[]
  explain: ExplainLine[]
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i
/** pasta answers DNS on this link-local address and forwards it to the host's (loopback) resolver. */
export const PASTA_DNS = '169.254.1.1'

export function planNetwork(flags: NetworkFlags, ctx: NetworkContext, env: NodeJS.ProcessEnv = process.env): NetworkPlan {
  const requested = flags.network ?? ''
  if (requested.startsWith(CONTAINER_MODE)) return planJoinedNetwork(flags, ctx)
  const explicit = requested !== '' || (flags.publish?.length ?? 0) > 0 || flags.publishAll === true
  let mode: NetworkPlan['mode']
  // "private" was mini-run's name for an lo-only namespace before there were networks
  if (requested === 'none' || requested === 'private') mode = 'none'
  else if (requested === 'host') mode = requested
  else if (requested === 'pasta') {
    if (!ctx.rootless) throw new UsageError('--network pasta is the rootless network: as root, use bridge or a network of your own')
    mode = 'pasta'
  } else if (requested === 'slirp4netns') {
    throw new UsageError(`--network ${requested} is not supported: use bridge, none, host, container:NAME, or a network's name`)
  } else if (!explicit && ctx.rootfsDir !== undefined) {
    // --rootfs is mini-run's own (kernel tests, teaching): a directory runs with only lo unless a flag asks for a network
    mode = 'none'
  } else if (ctx.rootless) {
    if (requested !== '' && requested !== DEFAULT_NETWORK && requested !== 'default') {
      throw new UsageError(`--network ${requested}: a rootless container cannot join a bridge network (it needs root); it gets pasta's network`)
    }
    mode = 'pasta'
    const why = pastaUnusable()
    if (why) {
      // Without a flag asking for a network, a rootless run keeps working
      // with only lo, as it did before there were networks.
      if (!explicit) mode = 'none'
      else throw new UsageError(`rootless networking: ${why}; use --network none`)
    }
  } else mode = 'bridge'

  const exposed = exposedKeys(ctx.exposed, flags.expose)
  const publish = [...(flags.publish ?? []).map(parsePublish), ...(flags.publishAll ? exposedPorts(exposed) : [])]
  const own = mode === 'bridge' || mode === 'pasta'
  const needOwn = (flag: string) => {
    throw new UsageError(`${flag} needs a network of the container's own: not with --network ${mode}`)
  }
  if (!own) {
    if (flags.publish?.length) needOwn('-p')
    if (flags.aliases?.length) needOwn('--network-alias')
    if (flags.ip !== undefined) needOwn('--ip')
    if (flags.macAddress !== undefined) needOwn('--mac-address')
    // Docker takes --dns with none (only host and container: conflict), for the resolv.conf it still writes
    if (mode !== 'none' && (flags.dns?.length || flags.dnsSearch?.length || flags.dnsOption?.length)) needOwn('--dns')
    if (flags.moreNetworks?.length) throw new UsageError(`joining more networks needs a network of the container's own: not with --network ${mode}`)
  }
  for (const d of flags.dns ?? []) if (!isIp(d) && !isIPv6(d)) throw new UsageError(`invalid --dns "${d}": an IPv4 or IPv6 address`)
  if (flags.macAddress !== undefined && !MAC.test(flags.macAddress)) throw new UsageError(`invalid --mac-address "${flags.macAddress}"`)
  const hostsExtra = (flags.addHost ?? []).map(parseAddHost)
  const plan: NetworkPlan = {
    mode,
    attachments: [],
    ports: publish,
    ...(exposed.length ? { exposed } : {}),
    dnsServers: [],
    resolv: { nameservers: [], search: [], options: [] },
    hostsExtra,
    hostsNames: hostsNamesOf(ctx.hostname, ctx.domainname),
    hostname: ctx.hostname,
    files: {},
    mounts: [],
    explain: [],
  }
  // Docker resolves host-gateway to the default bridge's address; a container on a bridge reaches the host at its own gateway
  const gateway = () => plan.attachments[0]?.network.gateway ?? defaultNetwork(env).gateway
  if (mode === 'host') {
    plan.hostsExtra = resolveHostGateway(hostsExtra, gateway)
    hostEtcFiles(plan, ctx)
    return plan
  }

  const host = ctx.host?.resolv ?? hostResolvConf()
  plan.resolv.search = flags.dnsSearch?.length ? flags.dnsSearch.filter((s) => s !== '.') : host.search
  plan.resolv.options = flags.dnsOption?.length ? flags.dnsOption : host.options
  const hostServers = host.nameservers.filter((ns) => !isLoopbackResolver(ns) && isIp(ns))
  if (mode === 'none') {
    plan.hostsExtra = resolveHostGateway(hostsExtra, gateway)
    if (flags.dns?.length) plan.resolv.nameservers = flags.dns
    noneEtcFiles(plan, ctx, hostServers)
    return plan
  }

  if (mode === 'bridge') {
    if (!findHelper('netavark')) {
      throw new MiniRunError('bridge networking needs netavark and aardvark-dns (Debian: apt-get install netavark aardvark-dns), or use --network none|host', { code: 'ENONETAVARK' })
    }
    const def = requested === '' ? defaultNetwork(env) : findNetwork(ctx.storeRoot, requested)
    checkSubnetFree(def, ctx.host?.routes ?? hostRoutes())
    if (flags.aliases?.length && def.builtin) {
      throw new UsageError('--network-alias needs a user-defined network (mini-run network create NAME): the default bridge has no DNS of its own')
    }
    // Docker: "user specified IP address is supported on user defined networks only"
    if (flags.ip !== undefined && def.builtin) throw new UsageError('--ip needs a user-defined network (mini-run network create NAME): the default bridge gives its addresses itself')
    if (flags.ip !== undefined) {
      const subnet = parseCidr(def.subnet)
      if (!isIp(flags.ip) || !contains(subnet, parseIp(flags.ip))) throw new UsageError(`invalid --ip "${flags.ip}": not an address of network ${def.name} (${def.subnet})`)
    }
    // A user network answers containers' names, and forwards the rest to
    // the host's resolvers (or --dns). The default bridge gives the host's
    // resolvers, as Docker's does, unless they are loopback addresses the
    // container cannot reach: then its DNS server (aardvark-dns, in the
    // host's namespace) forwards to them.
    const dns = def.dns || (!flags.dns?.length && hostServers.length === 0)
    plan.attachments.push({
      network: def,
      dns,
      interfaceName: 'eth0',
      aliases: def.dns ? [...new Set([...(flags.aliases ?? []), ctx.id.slice(0, 12)])] : [],
      ...(flags.ip !== undefined ? { ip: flags.ip } : {}),
      ...(flags.macAddress !== undefined ? { mac: flags.macAddress.toLowerCase() } : {}),
    })
    for (const more of flags.moreNetworks ?? []) plan.attachments.push(moreAttachment(more, plan.attachments, ctx))
    if (dns) {
      // each network's aardvark-dns answers for its own containers: every one is asked (podman does the same)
      plan.resolv.nameservers = [...new Set(plan.attachments.filter((a) => a.dns).map((a) => a.network.gateway))]
      plan.dnsServers = flags.dns ?? []
    } else {
      plan.resolv.nameservers = flags.dns?.length ? flags.dns : hostServers
    }
  } else {
    if (flags.moreNetworks?.length) throw new UsageError('a rootless container cannot join a bridge network (it needs root): it gets pasta\'s network')
    if (flags.aliases?.length || flags.ip !== undefined || flags.macAddress !== undefined) {
      throw new UsageError('--network-alias, --ip and --mac-address need a bridge network, which a rootless container cannot have')
    }
    if (flags.dns?.length) plan.resolv.nameservers = flags.dns
    else if (hostServers.length) plan.resolv.nameservers = hostServers
    else {
      plan.pastaDnsForward = PASTA_DNS
      plan.resolv.nameservers = [PASTA_DNS]
    }
  }

  plan.hostsExtra = resolveHostGateway(hostsExtra, gateway)
  // /etc/hosts, /etc/resolv.conf, /etc/hostname, bound over the image's
  bindEtcFiles(plan, ctx)
  plan.explain = explainNetwork(plan, ctx)
  return plan
}

/**
 * The ports a start publishes. Docker publishes through the network that is
 * the container's way out; on internal networks alone it has none, and -p
 * binds nothing (moby#36174): accepted, as there, and `port` shows nothing.
 * Decided at each start, not at create: a created container that `network
 * connect` puts on a network with a way out publishes them, as in Docker
 * (a running one does so at the connect: connect.ts).
 */
export function publishedPorts(plan: Pick<NetworkPlan, 'mode' | 'attachments' | 'ports'>): PortMapping[] {
  return plan.mode === 'bridge' && plan.attachments.every((a) => a.network.internal) ? [] : plan.ports
}

/** One of moreNetworks, checked as --network's is. */
function moreAttachment(more: NonNullable<NetworkFlags['moreNetworks']>[number], taken: PlannedAttachment[], ctx: NetworkContext): PlannedAttachment {
  const def = findNetwork(ctx.storeRoot, more.name)
  if (taken.some((a) => a.network.name === def.name)) throw new UsageError(`network ${def.name} is joined twice`)
  checkSubnetFree(def, ctx.host?.routes ?? hostRoutes())
  if (more.aliases?.length && def.builtin) throw new UsageError(`aliases on network ${def.name} need a user-defined network: the default bridge has no DNS of its own`)
  if (more.ip !== undefined && !(isIp(more.ip) && contains(parseCidr(def.subnet), parseIp(more.ip)))) {
    throw new UsageError(`invalid address "${more.ip}": not an address of network ${def.name} (${def.subnet})`)
  }
  if (more.mac !== undefined && !MAC.test(more.mac)) throw new UsageError(`invalid MAC address "${more.mac}"`)
  return {
    network: def,
    dns: def.dns,
    interfaceName: `eth${taken.length}`,
    aliases: def.dns ? [...new Set([...(more.aliases ?? []), ctx.id.slice(0, 12)])] : [],
    ...(more.ip !== undefined ? { ip: more.ip } : {}),
    ...(more.mac !== undefined ? { mac: more.mac.toLowerCase() } : {}),
  }
}

function explainNetwork(plan: NetworkPlan, ctx: NetworkContext): ExplainLine[] {
  const out: ExplainLine[] = []
  const published = publishedPorts(plan)
  const ports = published.length ? `; host ports for ${formatPorts(published).replace(/(^|, )[\d.]+:0->/g, '$1<free>->')}` : plan.ports.length ? '; no host ports: -p publishes nothing on internal networks alone' : ''
  const leases = join(ctx.stateRoot, 'network', 'leases.json')
  if (plan.mode === 'bridge') {
    const nets = plan.attachments.map((a) => `${a.ip ?? 'a free address'} in ${a.network.name} (${a.network.subnet})`).join(', ')
    out.push({
      what: `take a lease in ${leases} under flock: ${nets}${ports}`,
      why: 'IPAM is mini-run\'s, as podman\'s is (netavark is given static addresses); the lease names the container before anything exists, so rm -f gives it back after any crash',
    })
    const a = plan.attachments.map((x) => `${x.network.name}: bridge ${x.network.bridge}, ${x.interfaceName}, ${x.network.internal ? 'internal' : `gateway ${x.network.gateway}`}${x.dns ? ', DNS by name' : ''}`).join('; ')
    const only = plan.attachments[0]!
    const fast = fastBridgeKind(plan)
    if (fast) {
      const prefix = only.network.subnet.split('/')[1]
      out.push({
        what: `if ${only.network.bridge} has its anchor ${anchorName(only.network.bridge)}, by rtnetlink: ip link add veth<random> master ${only.network.bridge} up type veth peer name eth0 netns /proc/<pid>/ns/net`,
        why: 'the default bridge\'s firewall rules are the network\'s, made by netavark with its first container and kept by the anchor port: a container without published ports needs only its veth pair, address and route (netavark would start a dozen iptables processes, ~300 ms); the veth goes with the namespace, which nothing pins',
      })
      out.push({
        what: `in the container's namespace: ip addr add <lease>/${prefix} dev eth0; ip link set eth0 up; ip route add default via ${only.network.gateway}`,
        why: 'its address from the lease, its way out through the bridge\'s address',
      })
    }
    out.push({
      what: `${fast ? 'else: ' : ''}mount --bind /proc/<pid>/ns/net ${join(ctx.stateRoot, ctx.id, 'netns')}`,
      why: 'pin the network namespace for netavark, which finds it by a path: it must outlive the container\'s last process, for the teardown to find eth0 there (deleting it removes the veth pair)',
    })
    const internal = plan.attachments.filter((x) => x.network.internal)
    if (internal.length) {
      out.push({
        what: `iptables -t mangle -A FORWARD -j ${FENCE_CHAIN}; ${internal.flatMap((x) => fenceRules(x.network).map((r) => `iptables -t mangle -A ${FENCE_CHAIN} ${r.join(' ')}`)).join('; ')} (each unless there)`,
        why: 'as Docker\'s isolation rules: nothing routed into an internal network from elsewhere, nor out of it; netavark writes no rule for it, and its forwarding sysctl off stops only what leaves the bridge. In mangle, whose FORWARD runs before filter\'s, where netavark puts its ACCEPTs first. Removed once the bridge is gone, under the same lock as netavark',
      })
    }
    out.push({
      what: `${fast ? 'else: ' : ''}netavark --config ${join(ctx.stateRoot, 'network')} setup <netns pin> < NetworkOptions JSON (${a}${published.length ? `; port_mappings ${formatPorts(published)}` : ''})`,
      why: (fast ? `the first container on the bridge, whose anchor (${anchorName(only.network.bridge)}, a veth pair on it) is added after: ` : '') + 'netavark (podman\'s network backend) makes the bridge if needed, a veth pair with eth0 in the container, its address and default route, iptables rules for masquerade, published ports (also from 127.0.0.1: route_localnet) and isolation from other networks' +
        (plan.attachments.some((x) => x.dns) ? ', and registers the container\'s names with aardvark-dns on the gateway' : '') +
        (plan.attachments.some((x) => x.network.internal) ? '; on an internal network none of its rules nor the route: the bridge\'s forwarding is turned off, its containers reach only each other' : ''),
    })
  } else {
    out.push({
      what: `take a lease in ${leases} under flock${ports || ': no ports'}`,
      why: 'host ports are checked against other containers\' and the host\'s listening sockets before anything binds them',
    })
    out.push({
      what: `pasta --config-net${plan.ports.length ? ' -t/-u <ports>' : ' -t none -u none'} -T none -U none <pid>`,
      why: 'rootless: no bridge or veth without root; pasta, a user-mode TCP/IP stack, joins the container\'s user and network namespaces, gives it the host\'s address and routes through a tap device, and binds the published ports on the host (127.0.0.1 included)',
    })
  }
  if (Object.keys(plan.files).length) {
    out.push({
      what: `write ${Object.values(plan.files).join(', ')} (nameserver ${plan.resolv.nameservers.join(' ') || 'none'})`,
      why: 'the container\'s own /etc/hosts, /etc/resolv.conf and /etc/hostname, bound over the image\'s: a host resolver on 127.0.0.53 cannot be reached from the container\'s namespace',
    })
  }
  return out
}
