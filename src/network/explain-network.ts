/**
 * The parent's network steps of a start as --explain prints them, each
 * with why: what attach.ts does after the clone for the plan
 * plan-network.ts made, and the ports it publishes.
 */
import { join } from 'node:path'
import { anchorName, fastBridgeKind } from './fast-bridge.js'
import { fenceRules, FENCE_CHAIN } from './internal-fence.js'
import { PASS_PUBLISHED } from './isolation.js'
import type { ExplainLine, NetworkContext, NetworkPlan } from './network-plan.js'
import { formatPlannedPorts, type PortMapping } from './port-spec.js'

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

export function explainNetwork(plan: NetworkPlan, ctx: NetworkContext): ExplainLine[] {
  const out: ExplainLine[] = []
  const published = publishedPorts(plan)
  const ports = published.length ? `; host ports for ${formatPlannedPorts(published)}` : plan.ports.length ? '; no host ports: -p publishes nothing on internal networks alone' : ''
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
      what: `${fast ? 'else: ' : ''}netavark --config ${join(ctx.stateRoot, 'network')} setup <netns pin> < NetworkOptions JSON (${a}${published.length ? `; port_mappings ${formatPlannedPorts(published)}` : ''})`,
      why: (fast ? `the first container on the bridge, whose anchor (${anchorName(only.network.bridge)}, a veth pair on it) is added after: ` : '') + 'netavark (podman\'s network backend) makes the bridge if needed, a veth pair with eth0 in the container, its address and default route, iptables rules for masquerade, published ports (also from 127.0.0.1: route_localnet) and isolation from other networks' +
        (plan.attachments.some((x) => x.dns) ? ', and registers the container\'s names with aardvark-dns on the gateway' : '') +
        (plan.attachments.some((x) => x.network.internal) ? '; on an internal network none of its rules nor the route: the bridge\'s forwarding is turned off, its containers reach only each other' : ''),
    })
    out.push({
      what: `${fast ? 'else: ' : ''}if netavark made a bridge: iptables -I NETAVARK_ISOLATION_1 1 ${PASS_PUBLISHED.join(' ')} (unless first there)`,
      why: 'a published port is reached at the host\'s addresses from containers on other networks too, as Docker\'s docker-proxy takes them: netavark\'s DNAT sends such a connection across bridges, which its isolation would drop both ways; it inserts a network\'s rule first when it makes its bridge, so this goes back in front after such a setup',
    })
    if (published.length) {
      out.push({
        what: `by rtnetlink: bridge link set dev <host end of ${plan.attachments.map((x) => x.interfaceName).join(', ')}> hairpin on`,
        why: 'the container reaches its own published ports at the host\'s address: br_netfilter NATs that packet on the bridge, back out of the port it came in by, which a bridge does only in hairpin mode (Docker sets it too)',
      })
    }
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
