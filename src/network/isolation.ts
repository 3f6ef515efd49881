/**
 * netavark 1.4 removes the jump `FORWARD -j NETAVARK_ISOLATION_1` with the
 * last container of any isolated network, though other isolated networks
 * still rely on it: until the next setup, their containers could reach
 * each other. keepIsolation puts it back while another network is in use.
 *
 * Docker's published ports are reached at the host's addresses from a
 * container on any network: with its default userland proxy, the DOCKER
 * nat chain lets what comes from a bridge through undNATed (`-i br -j
 * RETURN`), docker-proxy takes the connection on the host and connects to
 * the container from there. netavark's DNAT takes such a connection
 * straight across to the container's bridge, where its isolation drops it,
 * both ways. So a connection that was DNATed (to a published port: the only
 * DNAT mini-run's networks make) passes over the isolation: one rule at the
 * head of NETAVARK_ISOLATION_1. netavark inserts each network's rule at that
 * head (varktables/types.rs: position 1) with the network's first
 * container, so after a setup that made a network's bridge ours is put
 * back in front.
 *
 * What these rules should be depends on the whole chain, read and then
 * changed by several iptables processes: a teardown that read "the pass
 * alone is left" must not delete it after a start put another network's
 * rule behind it. Every read-then-change of the chain, netavark's setups
 * and teardowns with it, holds the isolation lock (withIsolationLock).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { pausePoint } from '../crash-point.js'
import { isRemoved, lockFileSync } from '../file-lock.js'
import { interfaceIndex } from '../native/netlink-calls.js'
import { leasesForTeardown } from './leases.js'

const ISOLATION = 'NETAVARK_ISOLATION_1'
const PASS_COMMENT = 'mini-run-published-ports'
/** The rule, as `iptables -I NETAVARK_ISOLATION_1 1` takes it. */
export const PASS_PUBLISHED = ['-m', 'conntrack', '--ctstate', 'DNAT', '-m', 'comment', '--comment', PASS_COMMENT, '-j', 'RETURN']

/**
 * netavark keeps the same chains in ip6tables for the networks with an
 * IPv6 subnet (ipv6-subnet.ts), and drops that jump with their last
 * container too: what is done here for iptables is done for ip6tables
 * after a setup or teardown that had IPv6.
 */
type Tables = 'iptables' | 'ip6tables'

function iptables(args: string[], bin: Tables = 'iptables'): { ok: boolean; stdout: string } {
  // a user's PATH on Debian lacks /usr/sbin (netavark.ts runs it so too)
  const env = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` }
  const r = spawnSync(bin, ['-w', '-t', 'filter', ...args], { env, encoding: 'utf8' })
  return { ok: !r.error && r.status === 0, stdout: r.stdout ?? '' }
}

/** The chain's rules, `-A NETAVARK_ISOLATION_1 ...` lines; undefined without the chain. */
function isolationRules(bin: Tables = 'iptables'): string[] | undefined {
  const listed = iptables(['-S', ISOLATION], bin)
  return listed.ok ? listed.stdout.split('\n').filter((l) => l.startsWith(`-A ${ISOLATION} `)) : undefined
}

/**
 * The isolation lock: <state>/isolation.lock, flock(2)ed. Not the network
 * lock (leases.ts): a teardown keeps the isolation after it gave its lease
 * back, and the network lock's directory goes with the last lease; taking
 * it again would make the directory anew. The file goes with each release
 * (no file is left beside the containers' directories); a holder that
 * locked a file its predecessor had just removed takes the new one.
 * Taken after the network lock where both are held, never before it.
 */
export function withIsolationLock<T>(stateRoot: string, fn: () => T): T {
  for (;;) {
    const lock = lockFileSync(join(stateRoot, 'isolation.lock'), 'exclusive')
    if (isRemoved(lock)) {
      lock.release()
      continue
    }
    try {
      return fn()
    } finally {
      lock.releaseAndRemove()
    }
  }
}

/**
 * Whether a netavark setup on these bridges may put an isolation rule in
 * front: only one that makes a bridge. netavark adds a network's rules
 * with the bridge (and removes them with it), each only where it is not
 * there already (varktables/types.rs add_rules: a rule with a position is
 * inserted only if `iptables -C` does not find it), so a setup on a
 * network already up leaves the chain as it was. Asked before the setup,
 * under the isolation lock; an rtnetlink request a bridge, where listing
 * the chain spawns iptables.
 */
export function makesBridge(bridges: readonly string[]): boolean {
  return bridges.some((b) => interfaceIndex(b) === undefined)
}

/**
 * After a netavark setup that made a bridge, under the isolation lock: the
 * pass for published ports first in the isolation chain (no chain: nothing
 * isolated); in ip6tables's too after a setup on a network with IPv6.
 */
export function passPublishedPorts(ipv6 = false): void {
  for (const bin of ipv6 ? (['iptables', 'ip6tables'] as const) : (['iptables'] as const)) {
    const rules = isolationRules(bin)
    if (rules === undefined || rules[0]?.includes(PASS_COMMENT)) continue
    if (rules.some((l) => l.includes(PASS_COMMENT))) iptables(['-D', ISOLATION, ...PASS_PUBLISHED], bin)
    iptables(['-I', ISOLATION, '1', ...PASS_PUBLISHED], bin)
  }
}

/**
 * After netavark tore down these networks (name -> the address it held):
 * put the jump back if one of them has no lease left while another network
 * still does, or while `anchored` (the default bridge's rules stay up).
 * With the last network's rule gone, the pass for published ports goes too.
 * Under the isolation lock (a holder's own hold is counted: file-lock.ts).
 */
export function keepIsolation(stateRoot: string, left: Record<string, string>, anchored: boolean, left6: Record<string, string> = {}): void {
  withIsolationLock(stateRoot, () => {
    // (a corrupt leases file: the rules stay as netavark's teardown left them)
    const all = leasesForTeardown(stateRoot)
    if (!all) return
    const leases = Object.values(all)
    keepIsolationLocked('iptables', Object.keys(left), leases.map((l) => l.networks), anchored)
    // the default bridge, whose rules the anchor keeps, has no IPv6
    if (Object.keys(left6).length) keepIsolationLocked('ip6tables', Object.keys(left6), leases.map((l) => l.networks6 ?? {}), false)
  })
}

function keepIsolationLocked(bin: Tables, left: string[], held: Record<string, string>[], anchored: boolean): void {
  const emptied = left.filter((net) => !held.some((networks) => net in networks))
  if (emptied.length === 0) return
  const rules = isolationRules(bin)
  // (a test holds the race open here: test/network-isolation-race.test.ts)
  pausePoint('isolation:after-read')
  if (rules?.length === 1 && rules[0]!.includes(PASS_COMMENT)) iptables(['-D', ISOLATION, ...PASS_PUBLISHED], bin)
  if (!held.some((networks) => Object.keys(networks).length > 0) && !anchored) return
  if (iptables(['-C', 'FORWARD', '-j', ISOLATION], bin).ok) return
  iptables(['-I', 'FORWARD', '1', '-j', ISOLATION], bin)
}
