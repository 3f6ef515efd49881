/**
 * Attach a container to its network between clone() and the sync byte
 * (its namespaces exist, its command has not started), and detach it when
 * it is gone. What the teardown needs is written to the container's state
 * before each thing it undoes is made, so a crash anywhere leaves a state
 * from which `rm -f` removes everything: the lease names the container, the
 * netns pin is a path derived from its id, netavark's input is recorded
 * before netavark runs, pasta's pid right after it daemonized.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { getLogger } from '../log.js'
import { interfaceIndex } from '../native/netlink-calls.js'
import { HOST_GATEWAY, hostsFile, resolvConfFile } from './etc-files.js'
import { anchorBridge, anchorName, attachFast, deleteVeth, fastBridgeKind, hairpinPorts, readyBridge, vethName } from './fast-bridge.js'
import { fenceInternal, unfenceAfterTeardown } from './internal-fence.js'
import { endIdleDns } from './idle-dns.js'
import { macOf } from './ipv4.js'
import { hostListeners, mayBindAddress, pastaView } from './host-net.js'
import { MiniRunError } from '../errors.js'
import { keepIsolation, makesBridge, passPublishedPorts, withIsolationLock } from './isolation.js'
import { leasesForTeardown, networkRequest, networkStateDir, readLeases, releaseLease, takeLease, withNetworkLock } from './leases.js'
import { endpoint6 } from './ipv6-subnet.js'
import { DEFAULT_BRIDGE, DEFAULT_NETWORK } from './networks.js'
import { netavarkOptions, runNetavark, type NetavarkOptions, type NetavarkStatus } from './netavark.js'
import { startPasta, stopPasta } from './pasta.js'
import { publishedPorts, type NetworkPlan } from './plan-network.js'
import { netnsPin, pinNamespace, unpin, withContainerNetworkLock } from './netns-pin.js'
import { removeFile } from '../remove-file.js'
import { readState } from '../runtime/container/state.js'
import type { Endpoint, NetworkRecord } from './network-record.js'
import { containerNetworkEvent } from '../events/resource-events.js'

/**
 * A file in a container's state directory that says another container
 * joined its network namespace (--network container:, written when the
 * joiner starts): the namespace may outlive the container's own processes.
 */
export function joinedMarker(stateRoot: string, id: string): string {
  return join(stateRoot, id, 'network-joined')
}

export type { Endpoint, NetworkRecord } from './network-record.js'

export interface AttachContext {
  stateRoot: string
  id: string
  name: string
  /** Record the state so far (writes the container's state file). */
  save: (record: NetworkRecord) => void
  /**
   * Keep the record for the state's next write, when nothing recorded yet
   * could stand in its way: a container's first start, whose state has no
   * record at all (a restart's says "detached").
   */
  note?: (record: NetworkRecord) => void
}

/**
 * netavark, one at a time (podman takes a lock around it too): a teardown
 * that removes a network's chains with its last container would race a
 * setup on the same network appending to them. An internal network's
 * drop rules (internal-fence.ts) come before its setup and go after the
 * teardown that took its bridge, under the same lock. The isolation chain
 * is read and changed under the isolation lock (isolation.ts).
 */
export function netavark(action: 'setup' | 'teardown', stateRoot: string, pin: string, options: NetavarkOptions, o: { reordered?: boolean } = {}): NetavarkStatus {
  const networks = Object.values(options.network_info)
  const internal = networks.filter((n) => n.internal).map((n) => ({ bridge: n.network_interface, subnet: n.subnets[0]!.subnet }))
  return withNetworkLock(stateRoot, () => withIsolationLock(stateRoot, () => {
    if (action === 'setup') {
      // netavark puts a network's isolation rule first when it finds it missing: with a new bridge, and with a
      // bridge whose rules are gone (a setup killed half-way, iptables -F), which only the network's first
      // container can see; later ones leave the chain as it is, and skip the iptables -S (isolation.ts)
      // (`reordered`: a network reload's, after a flush took the rules of networks whose bridges stayed)
      const maybeReordered = o.reordered === true || makesBridge(networks.map((n) => n.network_interface)) || firstOnNetworks(stateRoot, options.container_id, networks.map((n) => n.name))
      fenceInternal(internal)
      endIdleDns(networkStateDir(stateRoot))
      const status = runNetavark(action, pin, networkStateDir(stateRoot), options)
      if (maybeReordered) passPublishedPorts(networks.some((n) => n.ipv6_enabled))
      return status
    }
    if (internal.length === 0) return runNetavark(action, pin, networkStateDir(stateRoot), options)
    try {
      return runNetavark(action, pin, networkStateDir(stateRoot), options)
    } finally {
      unfenceAfterTeardown()
    }
  }))
}

/** No other container holds a lease on any of these networks. */
function firstOnNetworks(stateRoot: string, id: string, names: readonly string[]): boolean {
  const leases = readLeases(stateRoot)
  return names.some((name) => !Object.entries(leases).some(([holder, lease]) => holder !== id && name in lease.networks))
}

/**
 * Set up the container's network; on failure, undo what was done and
 * throw (the caller kills the child).
 */
export function attachNetwork(plan: NetworkPlan, ctx: AttachContext, pid: number): NetworkRecord | undefined {
  if (plan.mode !== 'bridge' && plan.mode !== 'pasta') return undefined
  if (plan.mode === 'bridge' && plan.attachments.length === 0) return attachNothing(plan, ctx)
  const ports = publishedPorts(plan)
  const record: NetworkRecord = { mode: plan.mode, networks: plan.attachments.map((a) => a.network.name), ports, ...(plan.exposed ? { exposed: plan.exposed } : {}) }
  // (a bridge's lease is found by the container's id without a record: its first save comes with netavark's input)
  if (plan.mode === 'pasta') ctx.save(record)
  try {
    // Docker's bind on an address the host does not have fails: so does the start (not a connect's re-lease of what it had)
    const foreign = ports.find((p) => p.hostIp !== '' && !mayBindAddress(p.hostIp))
    if (foreign) {
      throw new MiniRunError(`Bind for ${foreign.hostIp}:${foreign.hostPort || '<free port>'} failed: cannot assign requested address (${foreign.hostIp} is not an address of this host)`, { code: 'EADDRNOTAVAIL' })
    }
    const lease = takeLease(
      ctx.stateRoot,
      ctx.id,
      {
        networks: plan.attachments.map((a) => networkRequest(a.network, a)),
        ports,
      },
      // the host's sockets matter only to ports (reading them: ~8 ms)
      ports.length ? hostListeners() : [],
    )
    record.ports = lease.ports
    if (plan.mode === 'bridge') {
      const attachments = plan.attachments.map((a) => {
        const ip6 = lease.ips6[a.network.name]
        return { ...a, ip: lease.ips[a.network.name]!, ...(ip6 !== undefined ? { ip6 } : {}) }
      })
      record.netavark = netavarkOptions({ id: ctx.id, name: ctx.name, attachments, ports: lease.ports, dnsServers: plan.dnsServers })
      const only = attachments[0]!
      const bridgeIndex = fastBridgeKind(plan) ? readyBridge(only.network) : undefined
      const mac = bridgeIndex !== undefined ? (only.mac ?? macOf(only.ip)) : undefined
      if (bridgeIndex !== undefined && mac !== undefined) {
        record.veth = vethName()
        const e: Endpoint = { network: only.network.name, interfaceName: only.interfaceName, ip: only.ip, prefix: Number(only.network.subnet.split('/')[1]), gateway: only.network.gateway, mac, aliases: [] }
        record.endpoints = [e]
        // nothing of the fast path needs the record to be undone after a crash
        // (its lease goes by the container's id, its veth with the namespace,
        // which nothing pins), so a first start writes it with the pid
        if (ctx.note) ctx.note(record)
        else ctx.save(record)
        attachFast({ bridgeIndex, veth: record.veth, netnsPath: `/proc/${pid}/ns/net`, ip: e.ip, prefix: e.prefix, gateway: e.gateway, mac })
      } else {
        ctx.save(record)
        const pin = pinNamespace(ctx.stateRoot, ctx.id, pid)
        const status = netavark('setup', ctx.stateRoot, pin, record.netavark)
        record.endpoints = endpointsOf(status, plan, lease.ips, lease.ips6)
        ctx.save(record)
        if (record.ports.length) hairpinPorts(pin, attachments.map((a) => a.interfaceName))
        for (const a of attachments) if (a.network.builtin) anchorBridge(ctx.stateRoot, a.network)
      }
      const own = record.endpoints?.[0]
      writeFiles(plan, own?.ip, own?.ip6)
    } else {
      ctx.save(record)
      const dir = join(ctx.stateRoot, ctx.id)
      record.pasta = startPasta({
        pid,
        ports: lease.ports,
        pidFile: join(dir, 'pasta.pid'),
        logFile: join(dir, 'pasta.log'),
        ...(plan.pastaDnsForward ? { dnsForward: plan.pastaDnsForward } : {}),
      })
      ctx.save(record)
      // what pasta copied from the host at this start: the container's own name on its address, and
      // host-gateway on the gateway pasta maps to the host, as podman writes them
      const view = pastaView()
      const hostsExtra = plan.hostsExtra.flatMap((h) => (h.ip !== HOST_GATEWAY ? [h] : view.gateway ? [{ ...h, ip: view.gateway }] : []))
      writeFiles({ ...plan, hostsExtra }, view.address)
    }
    // Docker's connect of each network the start joined (container_operations.go connectToNetwork); pasta's is no network
    if (plan.mode === 'bridge') for (const a of plan.attachments) containerNetworkEvent(ctx.stateRoot, 'connect', a.network, ctx.id)
    return record
  } catch (err) {
    // joined nothing: nothing to say it left
    // its own record: the state may still hold the last run's, already detached, before this one's first save
    detachNetwork(ctx.stateRoot, ctx.id, record, { quiet: true, own: true })
    throw err
  }
}

/**
 * A bridge container disconnected from its last network (connect-stopped.ts):
 * lo alone, as --network none, and no lease. The record keeps it a bridge
 * container, with netavark's input for no network, so that `network
 * connect` while it runs sets up the first one as it would another
 * (connect.ts); its published ports come with that network.
 */
function attachNothing(plan: NetworkPlan, ctx: AttachContext): NetworkRecord {
  const record: NetworkRecord = {
    mode: 'bridge',
    networks: [],
    ports: [],
    ...(plan.exposed ? { exposed: plan.exposed } : {}),
    netavark: netavarkOptions({ id: ctx.id, name: ctx.name, attachments: [], ports: [], dnsServers: plan.dnsServers }),
    endpoints: [],
  }
  ctx.save(record)
  writeFiles(plan, undefined)
  return record
}

function endpointsOf(status: NetavarkStatus, plan: NetworkPlan, ips: Record<string, string>, ips6: Record<string, string>): Endpoint[] {
  return plan.attachments.map((a) => {
    const iface = status[a.network.name]?.interfaces?.[a.interfaceName]
    const prefix = Number(a.network.subnet.split('/')[1])
    return {
      network: a.network.name,
      interfaceName: a.interfaceName,
      ip: ips[a.network.name]!,
      prefix,
      gateway: a.network.gateway,
      ...endpoint6(a.network, ips6[a.network.name]),
      mac: iface?.mac_address ?? '',
      aliases: a.aliases,
    }
  })
}

function writeFiles(plan: NetworkPlan, ip: string | undefined, ip6?: string): void {
  const { hosts, resolvConf, hostname } = plan.files
  if (hosts) writeFileSync(hosts, hostsFile({ ...(ip ? { ip } : {}), ...(ip6 ? { ip6 } : {}), names: plan.hostsNames, extra: plan.hostsExtra }), { mode: 0o644 })
  if (resolvConf) writeFileSync(resolvConf, resolvConfFile(plan.resolv), { mode: 0o644 })
  if (hostname) writeFileSync(hostname, `${plan.hostname}\n`, { mode: 0o644 })
}

/**
 * Undo attachNetwork from its record; safe to run again, and concurrently
 * (the monitor's cleanup and an `rm -f`: a flock of network.lock in the
 * container's state directory orders them). Without a record (a crash before the first
 * save) only the lease can exist, and it is released by the container's id.
 */
export function detachNetwork(stateRoot: string, id: string, given: NetworkRecord | undefined, o: { quiet?: boolean; own?: boolean } = {}): void {
  if (given?.detached) return
  const log = getLogger()
  withContainerNetworkLock(stateRoot, id, () => {
    // the record as the state has it now: a connect, disconnect or reload that held the lock
    // while the caller read its copy changed it, and what they made is what is undone
    // (`own`: an attach undoing what it made itself, which it holds)
    const record = (o.own ? undefined : recordedNow(stateRoot, id)) ?? given
    if (record?.detached) return
    const pin = netnsPin(stateRoot, id)
    if (existsSync(pin)) {
      // (netavark's path, or a connect's.) mini-run's own veth goes with the
      // namespace once no process or pin holds it, which the kernel frees in the background (deleting it here waits for
      // an RCU grace period: +16 ms a run, measured); its MAC is the address's
      // (fast-bridge.ts), so a next container that takes the address within
      // that window, or a neighbour entry the host kept, names the same MAC
      const options = record?.netavark && record.veth ? withoutDefault(record.netavark) : record?.netavark
      // (none: it was disconnected from its last network, attachNothing)
      if (options && Object.keys(options.networks).length) {
        try {
          netavark('teardown', stateRoot, pin, options)
        } catch (err) {
          // setup may have failed half-way: what exists is gone now all the same
          log.debug({ err, id }, 'netavark teardown')
        }
      }
      // (never mounted: a crash came between the file and the mount)
      unpin(pin)
    }
    // a joiner keeps the namespace, and in it mini-run's own veth with the
    // address given back below: it goes now, as Docker removes the endpoint
    // (netavark's eth0s went with its teardown above); the joiner keeps lo
    const marker = record?.veth ? joinedMarker(stateRoot, id) : undefined
    if (marker && existsSync(marker)) {
      try {
        deleteVeth(record!.veth!)
      } catch (err) {
        log.debug({ err, id }, 'delete the veth of a joined namespace')
      }
      removeFile(marker)
    }
    if (record?.pasta) stopPasta(record.pasta)
    // what netavark set up besides the default bridge keeps its isolation below: nothing, on the fast path alone
    const fastOnly = record?.veth !== undefined && record.networks.length === 1
    const before = (record?.mode === 'bridge' && !fastOnly ? leasesForTeardown(stateRoot) : undefined) ?? {}
    const released = releaseLease(stateRoot, id)
    // Docker's disconnect of each network it left, said by whichever teardown gave its lease back (run's, the monitor's cleanup or rm -f's)
    if (released && record?.mode === 'bridge' && !o.quiet) disconnectEvents(stateRoot, id, record, Object.keys(released.networks))
    if (record?.mode === 'bridge') {
      // netavark tore down only the networks it had set up for this container
      const left = { ...before[id]?.networks }
      if (record.veth) delete left[DEFAULT_NETWORK]
      keepIsolationAfter(stateRoot, left, before[id]?.networks6)
    }
  })
}

/** The network record of the container's state, if it has a state with one. */
function recordedNow(stateRoot: string, id: string): NetworkRecord | undefined {
  try {
    return readState(stateRoot, id).network
  } catch {
    // removed, or never written (a start that failed before its first save)
    return undefined
  }
}

/** After netavark tore down these networks (name -> the address it held): keepIsolation (isolation.ts). */
export function keepIsolationAfter(stateRoot: string, left: Record<string, string>, left6: Record<string, string> = {}): void {
  // the default bridge's rules, isolation included, stay with its anchor (fast-bridge.ts)
  if (Object.keys(left).length) keepIsolation(stateRoot, left, interfaceIndex(anchorName(DEFAULT_BRIDGE)) !== undefined, left6)
}

function disconnectEvents(stateRoot: string, id: string, record: NetworkRecord, networks: string[]): void {
  for (const name of networks) {
    const info = record.netavark?.network_info[name]
    if (info) containerNetworkEvent(stateRoot, 'disconnect', { id: info.id, name }, id)
  }
}

/** netavark's input less the default network, which a veth of mini-run's joined; undefined when nothing is left. */
function withoutDefault(options: NetavarkOptions): NetavarkOptions | undefined {
  const networks = { ...options.networks }
  const info = { ...options.network_info }
  delete networks[DEFAULT_NETWORK]
  delete info[DEFAULT_NETWORK]
  return Object.keys(networks).length ? { ...options, networks, network_info: info } : undefined
}
