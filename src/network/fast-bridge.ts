/**
 * The default bridge without netavark, once netavark has made it: a
 * container there with no published port needs nothing of the firewall
 * that is its own. netavark's rules for a network (masquerade of the
 * subnet, forwarding, isolation) are the network's, and stay while the
 * bridge has a port; its per-container work is a veth pair, an address and
 * a route, which it does by starting itself and a dozen iptables
 * processes, setup and teardown: ~300 ms of every `run`. Here that work is
 * five rtnetlink requests (netlink.ts).
 *
 * netavark removes a bridge and its network's rules with the bridge's last
 * port. A port of mini-run's, the anchor, keeps the default bridge up
 * between containers, as Docker's docker0 stays up while no container runs:
 * it is added after the first netavark setup on the default network, lives
 * in the network namespace the bridge is in, and goes with `network prune`.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import { interfaceIndex, netlinkLink, netlinkRequest, withNetlink } from '../native/netlink-calls.js'
import { randomBytes } from '../random.js'
import { formatIp, macOf, parseCidr } from './ipv4.js'
import { keepIsolation, withIsolationLock } from './isolation.js'
import { networkStateDir, readLeases, tidyWithoutLeases, withNetworkLock } from './leases.js'
import { netavarkOptions, runNetavark } from './netavark.js'
import { addAddress, addDefaultRoute, bridgePortHairpin, deleteLink, getLink, linkMaster, linkPeer, linkUp, newVeth } from './netlink.js'
import { defaultNetwork, DEFAULT_NETWORK, type NetworkDef } from './networks.js'
import { unpin } from './netns-pin.js'

/** The port that keeps a bridge (and netavark's rules for it) up. IFNAMSIZ: at most 15 bytes. */
export function anchorName(bridge: string): string {
  return `${bridge.slice(0, 11)}-pin`
}
const anchorPeer = (bridge: string) => `${bridge.slice(0, 11)}-pip`

/** The index of the bridge the anchor is a port of; undefined without an anchor, or one of no bridge. */
function anchorMaster(bridge: string): number | undefined {
  try {
    return withNetlink(-1, (fd) => linkMaster(netlinkLink(fd, getLink(anchorName(bridge)), anchorName(bridge))))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENODEV') return undefined
    throw err
  }
}

/**
 * The host end of a container's veth on the default bridge: random, as
 * netavark's are. Not derived from the container's id: the pair of its last
 * run may still be there, the kernel frees a network namespace in the
 * background, and `start` again would meet it (EEXIST).
 */
export function vethName(): string {
  return `veth${randomBytes(6).toString('hex').slice(0, 11)}`
}

/** Whether a network plan (plan-network.ts) can take the fast path: the default bridge, one network, no port, no DNS server of its own. */
export function fastBridgeKind(plan: { mode: string; ports: readonly unknown[]; attachments: readonly { network: Pick<NetworkDef, 'builtin'>; dns: boolean }[] }): boolean {
  const only = plan.attachments[0]
  return plan.mode === 'bridge' && plan.ports.length === 0 && plan.attachments.length === 1 && only !== undefined && only.network.builtin === true && !only.dns
}

/**
 * The bridge's index, when it and its anchor are up (netavark's rules with
 * them) and the host forwards; else undefined, and netavark sets it up again.
 * A firewall flushed by hand is not seen here: `network reload` restores
 * it (reload.ts), as do `network prune` and the next container.
 */
export function readyBridge(def: Pick<NetworkDef, 'bridge'>): number | undefined {
  const bridge = interfaceIndex(def.bridge)
  if (bridge === undefined || anchorMaster(def.bridge) !== bridge) return undefined
  try {
    // netavark turns it on with the network: a `sysctl --system` may have turned it off
    // (utf8: Node's one-call read; any other encoding is its generic read, the first use of which costs more)
    return readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1' ? bridge : undefined
  } catch {
    return undefined
  }
}

/**
 * After a netavark setup on the default network: give its bridge the
 * anchor, if it has none. The anchor is one end of a veth pair whose other
 * end stays down beside it (a dummy device would do, but needs a module
 * not every kernel has). Only a speed-up: a failure leaves the next
 * container to netavark, as before.
 */
export function anchorBridge(stateRoot: string, def: Pick<NetworkDef, 'bridge'>): void {
  try {
    withNetworkLock(stateRoot, () => {
      const bridge = interfaceIndex(def.bridge)
      if (bridge === undefined) return
      const master = anchorMaster(def.bridge)
      if (master === bridge) return
      withNetlink(-1, (fd) => {
        // an anchor of a bridge deleted by hand and made again: a port of nothing now
        if (master !== undefined || interfaceIndex(anchorName(def.bridge)) !== undefined) netlinkRequest(fd, deleteLink(anchorName(def.bridge)), `delete ${anchorName(def.bridge)}`)
        netlinkRequest(fd, newVeth({ host: anchorName(def.bridge), bridgeIndex: bridge, peer: anchorPeer(def.bridge) }), `add ${anchorName(def.bridge)} to ${def.bridge}`)
      })
    })
  } catch (err) {
    getLogger().debug({ err, bridge: def.bridge }, 'anchor the bridge')
  }
}

export interface FastAttach {
  bridgeIndex: number
  veth: string
  netnsPath: string
  ip: string
  prefix: number
  gateway: string
  mac: string
}

/**
 * The veth pair, its container end named eth0 inside the namespace at
 * netnsPath, with its address, up, and the default route through the
 * gateway (the bridge's address).
 */
export function attachFast(a: FastAttach): void {
  const netns = openSync(a.netnsPath, 'r')
  try {
    withNetlink(-1, (fd) => netlinkRequest(fd, newVeth({ host: a.veth, bridgeIndex: a.bridgeIndex, peer: 'eth0', peerMac: a.mac, peerNetnsFd: netns }), `add veth ${a.veth}`))
    withNetlink(netns, (fd) => {
      const eth0 = netlinkRequest(fd, getLink('eth0'), 'eth0 in the container')
      if (eth0 <= 0) throw new MiniRunError('eth0 in the container: the kernel named no link')
      netlinkRequest(fd, addAddress(eth0, a.ip, a.prefix), `address ${a.ip}/${a.prefix} on eth0`)
      netlinkRequest(fd, linkUp(eth0), 'eth0 up')
      netlinkRequest(fd, addDefaultRoute(eth0, a.gateway), `default route via ${a.gateway}`)
    })
  } finally {
    closeSync(netns)
  }
}

/**
 * Hairpin on the bridge ports of a container's interfaces (netavark's
 * veths), found from inside: each interface's peer index. Published ports
 * only: a container then reaches its own port at the host's address, as in
 * Docker (which sets it on every port without its userland proxy).
 */
export function hairpinPorts(netnsPath: string, interfaces: readonly string[]): void {
  const netns = openSync(netnsPath, 'r')
  try {
    const peers = withNetlink(netns, (fd) => interfaces.map((name) => linkPeer(netlinkLink(fd, getLink(name), `${name} in the container`))))
    withNetlink(-1, (fd) => {
      for (const peer of peers) if (peer !== undefined) netlinkRequest(fd, bridgePortHairpin(peer), `hairpin on the bridge port of index ${peer}`)
    })
  } finally {
    closeSync(netns)
  }
}

/**
 * Delete a container's veth pair now (both ends go), rather than with its
 * namespace: another container joined that namespace (--network
 * container:) and keeps it, while the address goes back to the pool.
 * Gone already: nothing to do.
 */
export function deleteVeth(veth: string): void {
  try {
    withNetlink(-1, (fd) => netlinkRequest(fd, deleteLink(veth), `delete ${veth}`))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENODEV') throw err
  }
}

/**
 * `network prune` with no container on the default network: take its
 * bridge and rules down, as netavark does with a network's last container.
 * netavark does that only in a container's teardown, and only once the
 * container's eth0 is there to delete: so a stand-in, a veth pair from the
 * bridge to eth0 in a network namespace made for it, takes the anchor's
 * place and is torn down. False when a container still uses the network
 * (it keeps the bridge) or there is nothing to take down.
 */
export function takeDownDefaultBridge(stateRoot: string): boolean {
  const def = defaultNetwork()
  // nothing to do: not even the lock's directory is made
  if (interfaceIndex(anchorName(def.bridge)) === undefined) return false
  const done = withNetworkLock(stateRoot, () => {
    const bridge = interfaceIndex(def.bridge)
    if (bridge === undefined || interfaceIndex(anchorName(def.bridge)) === undefined) return false
    if (Object.values(readLeases(stateRoot)).some((l) => DEFAULT_NETWORK in l.networks)) return false
    const pin = join(networkStateDir(stateRoot), 'stand-in.netns')
    // a prune killed half-way left it mounted (a file of nsfs refuses the write below): its namespace goes now
    unpin(pin)
    writeFileSync(pin, '', { mode: 0o600 })
    try {
      const made = spawnSync('unshare', [`--net=${pin}`, 'true'], { encoding: 'utf8' })
      if (made.error || made.status !== 0) throw new MiniRunError(`a network namespace for the default bridge's teardown: ${(made.error?.message ?? made.stderr).trim()}`)
      const netns = openSync(pin, 'r')
      try {
        withNetlink(-1, (fd) => {
          netlinkRequest(fd, newVeth({ host: vethName(), bridgeIndex: bridge, peer: 'eth0', peerNetnsFd: netns }), 'a stand-in veth')
          netlinkRequest(fd, deleteLink(anchorName(def.bridge)), `delete ${anchorName(def.bridge)}`)
        })
      } finally {
        closeSync(netns)
      }
      // no container holds a lease here (checked above): any host address will do for a teardown without ports
      const subnet = parseCidr(def.subnet)
      const options = netavarkOptions({
        id: '0'.repeat(64),
        name: 'default-bridge-teardown',
        attachments: [{ network: def, dns: false, ip: formatIp(subnet.network + 2 ** (32 - subnet.prefix) - 2), interfaceName: 'eth0', aliases: [] }],
        ports: [],
        dnsServers: [],
      })
      withIsolationLock(stateRoot, () => {
        runNetavark('teardown', pin, networkStateDir(stateRoot), options)
        // netavark 1.4 dropped the FORWARD jump other isolated networks still need
        keepIsolation(stateRoot, { [DEFAULT_NETWORK]: '' }, false)
      })
      return true
    } finally {
      unpin(pin)
    }
  })
  tidyWithoutLeases(stateRoot)
  return done
}

