/**
 * `network connect|disconnect` of a container that does not run (Created,
 * Exited): Docker records the change and makes it at the next start. A
 * start attaches what its start input's network plan lists
 * (start-existing.ts replans nothing of the network), so the plan gains or
 * loses the attachment here, as `run --network A --network B` would have
 * planned it (plan-network.ts), and a record of a past start its network's
 * name (what `network rm` and `network prune` go by); the last one goes
 * too, and the container starts with lo alone until a connect, as in
 * Docker (attach.ts: attachNothing). Nothing is set up:
 * the lease and interfaces come with the start. A running container's
 * connect and disconnect are kept in its plan the same way, so they
 * outlive a restart, as in Docker.
 */
import { MiniRunError, UsageError } from '../errors.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { updateState } from '../runtime/container/state.js'
import { contains, isIp, parseCidr, parseIp } from './ipv4.js'
import { checkIp6 } from './ipv6-subnet.js'
import { hostResolvConf, hostRoutes, isLoopbackResolver } from './host-net.js'
import { checkSubnetFree, DEFAULT_NETWORK, findNetwork } from './networks.js'
import type { NetworkPlan, PlannedAttachment } from './plan-network.js'

function bridgePlan(c: ContainerInfo, ref: string): NetworkPlan {
  const plan = c.startInput?.network
  if (plan?.mode !== 'bridge') {
    throw new MiniRunError(`container ${ref} has no bridge network of its own (--network ${plan?.mode ?? 'none'}): it cannot be connected`, { code: 'ENOTCONNECTABLE' })
  }
  return plan
}

/**
 * The plan with these attachments: eth0, eth1... in order, and the resolvers the first one implies (planNetwork's rule).
 * None: the container is left with lo alone, as --network none, until a connect (Docker's disconnect of the last network);
 * its resolv.conf names the host's resolvers, as none's does.
 */
function withAttachments(plan: NetworkPlan, attachments: PlannedAttachment[], dnsFlags: readonly string[]): NetworkPlan {
  const renumbered = attachments.map((a, k) => ({ ...a, interfaceName: `eth${k}` }))
  const first = renumbered[0]
  const hostServers = () => hostResolvConf().nameservers.filter((ns) => !isLoopbackResolver(ns) && isIp(ns))
  const ownResolvers = (servers: string[]) => ({ ...plan, attachments: renumbered, dnsServers: [], resolv: { ...plan.resolv, nameservers: dnsFlags.length ? [...dnsFlags] : servers } })
  if (!first) return ownResolvers(hostServers())
  if (first.network.name !== plan.attachments[0]?.network.name && first.network.builtin) {
    // the default bridge first now: its DNS server only stands in for host resolvers a container cannot reach
    const servers = hostServers()
    first.dns = dnsFlags.length === 0 && servers.length === 0
    if (!first.dns) return ownResolvers(servers)
  }
  if (!first.dns) return { ...plan, attachments: renumbered }
  // each network's aardvark-dns answers for its own containers: every one is asked
  const nameservers = [...new Set(renumbered.filter((a) => a.dns).map((a) => a.network.gateway))]
  return { ...plan, attachments: renumbered, dnsServers: [...dnsFlags], resolv: { ...plan.resolv, nameservers } }
}

function saveAttachments(stateRoot: string, id: string, change: (attachments: PlannedAttachment[]) => PlannedAttachment[], stopped: boolean): void {
  updateState(stateRoot, id, (state) => {
    const plan = state.startInput?.network
    if (plan?.mode !== 'bridge') return state
    const attachments = change(plan.attachments)
    const network = withAttachments(plan, attachments, state.startInput?.given?.dns ?? [])
    const next = { ...state, startInput: { ...state.startInput!, network } }
    // a running container's record is what it has now (connect.ts keeps it)
    if (stopped && state.network) next.network = { ...state.network, networks: network.attachments.map((a) => a.network.name) }
    return next
  })
}

/** A connect for the container's next start (a running one's: connect.ts made it now too). */
export function planConnect(stateRoot: string, id: string, attachment: PlannedAttachment, stopped = false): void {
  saveAttachments(stateRoot, id, (attachments) => [...attachments.filter((a) => a.network.name !== attachment.network.name), attachment], stopped)
}

/** A disconnect for the container's next start. */
export function planDisconnect(stateRoot: string, id: string, name: string, stopped = false): void {
  saveAttachments(stateRoot, id, (attachments) => attachments.filter((a) => a.network.name !== name), stopped)
}

export function connectStopped(storeRoot: string, stateRoot: string, c: ContainerInfo, ref: string, name: string, o: { aliases: string[]; ip?: string; ip6?: string }): void {
  const plan = bridgePlan(c, ref)
  const def = findNetwork(storeRoot, name)
  if (plan.attachments.some((a) => a.network.name === def.name)) throw new MiniRunError(`container ${ref} is already connected to network ${def.name}`, { code: 'EALREADYCONNECTED' })
  if (o.aliases.length && def.builtin) throw new UsageError('--alias needs a user-defined network')
  if (o.ip !== undefined && !(isIp(o.ip) && contains(parseCidr(def.subnet), parseIp(o.ip)))) {
    throw new UsageError(`invalid address "${o.ip}": not an address of network ${def.name} (${def.subnet})`)
  }
  checkIp6(def, o.ip6)
  checkSubnetFree(def, hostRoutes())
  const attachment: PlannedAttachment = {
    network: def,
    dns: def.dns,
    interfaceName: `eth${plan.attachments.length}`,
    aliases: def.dns ? [...new Set([...o.aliases, c.id.slice(0, 12)])] : [],
    ...(o.ip !== undefined ? { ip: o.ip } : {}),
    ...(o.ip6 !== undefined ? { ip6: o.ip6 } : {}),
  }
  planConnect(stateRoot, c.id, attachment, true)
}

export function disconnectStopped(stateRoot: string, c: ContainerInfo, ref: string, name: string): void {
  const plan = bridgePlan(c, ref)
  const netName = name === 'default' ? DEFAULT_NETWORK : name
  const rest = plan.attachments.filter((a) => a.network.name !== netName)
  if (rest.length === plan.attachments.length) throw new MiniRunError(`container ${ref} is not connected to network ${name}`, { code: 'ENOTCONNECTED' })
  planDisconnect(stateRoot, c.id, netName, true)
}
