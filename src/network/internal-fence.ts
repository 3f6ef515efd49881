/**
 * Docker drops whatever is routed across an internal network's bridge
 * from or to elsewhere: in DOCKER-ISOLATION-STAGE-1, `-o <bridge> ! -s
 * <subnet> -j DROP` and `-i <bridge> ! -d <subnet> -j DROP` (moby,
 * integration/network/bridge/iptablesdoc/generated/usernet-internal.md).
 * netavark 1.4's `internal` writes no rule at all: it turns the bridge's
 * forwarding sysctl off, which the kernel checks on the device a packet
 * came in by (ip_route_input_slow, IN_DEV_FORWARD), so nothing leaves the
 * bridge but anything may enter it: a container on another network, whose
 * gateway forwards, reaches one on the internal network one way (UDP).
 *
 * The two rules per internal network live in a chain of mini-run's in
 * the mangle table, jumped to from its FORWARD: netavark inserts its own
 * jumps at the head of filter's FORWARD with every setup, and its
 * NETAVARK_FORWARD accepts whatever comes from its networks' subnets, so a
 * rule of ours there would be passed over. mangle's FORWARD hook runs
 * before filter's (NF_IP_PRI_MANGLE), and nothing else of netavark's or
 * Docker's is there. They go in before netavark sets the network up, so no packet slips in
 * meanwhile, and come out once the bridge is gone (netavark removes it
 * with its last container); with the last rule the chain and its jump go
 * too. All of it under the network lock (leases.ts), as netavark runs.
 * A rule of a bridge that is gone is removed by any later teardown of an
 * internal network, or by `network rm`: nothing outlives a crash for long.
 */
import { spawnSync } from 'node:child_process'
import { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import { interfaceIndex } from '../native/netlink-calls.js'

export const FENCE_CHAIN = 'MINI_RUN_INTERNAL'

export interface Fenced {
  bridge: string
  subnet: string
}

function iptables(args: string[]): { ok: boolean; stdout: string; stderr: string } {
  // a user's PATH on Debian lacks /usr/sbin (netavark.ts runs it so too)
  const env = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` }
  const r = spawnSync('iptables', ['-w', '-t', 'mangle', ...args], { env, encoding: 'utf8' })
  if (r.error) throw new MiniRunError(`iptables ${args.join(' ')}: ${r.error.message}`, { cause: r.error })
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr.trim() }
}

function must(args: string[]): void {
  const r = iptables(args)
  if (!r.ok) throw new MiniRunError(`the isolation of an internal network: iptables ${args.join(' ')}: ${r.stderr}`, { code: 'EFIREWALL' })
}

/** The two rules of one internal network, as `iptables -A <chain>` takes them. */
export function fenceRules(n: Fenced): string[][] {
  return [
    ['-o', n.bridge, '!', '-s', n.subnet, '-j', 'DROP'],
    ['-i', n.bridge, '!', '-d', n.subnet, '-j', 'DROP'],
  ]
}

/** Before netavark sets these internal networks up: their rules, the chain and its jump, where missing. */
export function fenceInternal(networks: readonly Fenced[]): void {
  if (networks.length === 0) return
  if (!iptables(['-S', FENCE_CHAIN]).ok) must(['-N', FENCE_CHAIN])
  if (!iptables(['-C', 'FORWARD', '-j', FENCE_CHAIN]).ok) must(['-A', 'FORWARD', '-j', FENCE_CHAIN])
  for (const n of networks) {
    for (const rule of fenceRules(n)) if (!iptables(['-C', FENCE_CHAIN, ...rule]).ok) must(['-A', FENCE_CHAIN, ...rule])
  }
}

/**
 * Remove the rules of the bridges that are gone, and of `bridge` whether
 * or not it is (`network rm`); the chain and its jump with the last rule.
 * Nothing to do without the chain. Best effort: a rule left names a bridge
 * that no longer exists, and the next teardown tries again.
 */
export function unfenceGone(bridge?: string): void {
  const listed = iptables(['-S', FENCE_CHAIN])
  if (!listed.ok) return
  const rules = listed.stdout.split('\n').filter((l) => l.startsWith(`-A ${FENCE_CHAIN} `)).map((l) => l.split(/\s+/).slice(2))
  let left = rules.length
  for (const rule of rules) {
    const on = rule[rule.findIndex((t) => t === '-i' || t === '-o') + 1]
    if (on === undefined || (on !== bridge && interfaceIndex(on) !== undefined)) continue
    if (iptables(['-D', FENCE_CHAIN, ...rule]).ok) left--
  }
  if (left > 0) return
  iptables(['-D', 'FORWARD', '-j', FENCE_CHAIN])
  iptables(['-X', FENCE_CHAIN])
}

/**
 * unfenceGone after a teardown, in its `finally`: its own failure (an
 * iptables that cannot be spawned) is logged, never thrown, so it neither
 * takes the place of the teardown's error nor fails a teardown that
 * worked. What it left, the next teardown or `network rm` removes.
 */
export function unfenceAfterTeardown(): void {
  try {
    unfenceGone()
  } catch (err) {
    getLogger().debug({ err }, 'remove the drop rules of internal networks whose bridge is gone')
  }
}
