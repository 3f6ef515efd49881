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
import { hostsNamesOf, parseAddHost, resolveHostGateway } from './etc-files.js'
import { bindEtcFiles, hostEtcFiles, noneEtcFiles } from './plan-etc-files.js'
import { hostResolvConf, hostRoutes, isLoopbackResolver, unprivilegedPortStart } from './host-net.js'
import { contains, isIp, parseCidr, parseIp } from './ipv4.js'
import { checkSubnetFree, DEFAULT_NETWORK, defaultNetwork, findNetwork } from './networks.js'
import { exposedKeys, exposedPorts, parsePublish } from './port-spec.js'
import { pastaUnusable } from './pasta.js'
import { findHelper } from './netavark.js'
import { explainNetwork } from './explain-network.js'
import { checkIp6 } from './ipv6-subnet.js'
import { parseLink } from './links.js'
import { CONTAINER_MODE, planJoinedNetwork } from './plan-joined-network.js'
import type { NetworkContext, NetworkFlags, NetworkPlan, PlannedAttachment } from './network-plan.js'

export type { ExplainLine, NetworkContext, NetworkFlags, NetworkPlan, PlannedAttachment } from './network-plan.js'
export { publishedPorts } from './explain-network.js'

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i
/** pasta answers DNS on this link-local address and forwards it to the host's (loopback) resolver. */
export const PASTA_DNS = '169.254.1.1'

/** --dns: a name server is an address (Docker's opts.ValidateIPAddress). */
export function checkDnsServer(d: string): void {
  if (!isIp(d) && !isIPv6(d)) throw new UsageError(`invalid --dns "${d}": an IPv4 or IPv6 address`)
}

/** --mac-address: six colon-separated hex bytes. */
export function checkMacAddress(mac: string): void {
  if (!MAC.test(mac)) throw new UsageError(`invalid --mac-address "${mac}"`)
}

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
    if (flags.ip6 !== undefined) needOwn('--ip6')
    if (flags.macAddress !== undefined) needOwn('--mac-address')
    // Docker takes --dns with none (only host and container: conflict), for the resolv.conf it still writes
    if (mode !== 'none' && (flags.dns?.length || flags.dnsSearch?.length || flags.dnsOption?.length)) needOwn('--dns')
    if (flags.moreNetworks?.length) throw new UsageError(`joining more networks needs a network of the container's own: not with --network ${mode}`)
  }
  for (const d of flags.dns ?? []) checkDnsServer(d)
  if (flags.macAddress !== undefined) checkMacAddress(flags.macAddress)
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
  if (flags.links?.length) {
    if (mode === 'host') throw new UsageError("conflicting options: host type networking can't be used with links. This would result in undefined behavior")
    if (mode === 'pasta') throw new UsageError('--link needs a bridge network: a rootless container\'s (pasta) reaches no other container')
    // with none, Docker keeps them and they do nothing
    plan.links = flags.links.map(parseLink)
  }
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
    checkIp6(def, flags.ip6)
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
      ...(flags.ip6 !== undefined ? { ip6: flags.ip6 } : {}),
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
    if (flags.aliases?.length || flags.ip !== undefined || flags.ip6 !== undefined || flags.macAddress !== undefined) {
      throw new UsageError('--network-alias, --ip, --ip6 and --mac-address need a bridge network, which a rootless container cannot have')
    }
    // pasta binds the host ports as the user: below this the kernel refuses (rootless Docker's words, checked before anything starts)
    const unprivileged = unprivilegedPortStart()
    const low = plan.ports.find((p) => p.hostPort !== 0 && p.hostPort < unprivileged)
    if (low) {
      throw new UsageError(`cannot expose privileged port ${low.hostPort}, you can add 'net.ipv4.ip_unprivileged_port_start=${low.hostPort}' to /etc/sysctl.conf (currently ${unprivileged}), or choose a larger port number (>= ${unprivileged})`)
    }
    if (flags.dns?.length) plan.resolv.nameservers = flags.dns
    else if (hostServers.length) plan.resolv.nameservers = hostServers
    else {
      plan.pastaDnsForward = PASTA_DNS
      plan.resolv.nameservers = [PASTA_DNS]
    }
  }

  // pasta's host-gateway is the host's gateway at each start (attach.ts), as its address is
  plan.hostsExtra = mode === 'pasta' ? hostsExtra : resolveHostGateway(hostsExtra, gateway)
  // /etc/hosts, /etc/resolv.conf, /etc/hostname, bound over the image's
  bindEtcFiles(plan, ctx)
  plan.explain = explainNetwork(plan, ctx)
  return plan
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
  checkIp6(def, more.ip6, 'ip6')
  if (more.mac !== undefined && !MAC.test(more.mac)) throw new UsageError(`invalid MAC address "${more.mac}"`)
  return {
    network: def,
    dns: def.dns,
    interfaceName: `eth${taken.length}`,
    aliases: def.dns ? [...new Set([...(more.aliases ?? []), ctx.id.slice(0, 12)])] : [],
    ...(more.ip !== undefined ? { ip: more.ip } : {}),
    ...(more.ip6 !== undefined ? { ip6: more.ip6 } : {}),
    ...(more.mac !== undefined ? { mac: more.mac.toLowerCase() } : {}),
  }
}
