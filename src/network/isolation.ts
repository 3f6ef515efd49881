/**
 * netavark 1.4 removes the jump `FORWARD -j NETAVARK_ISOLATION_1` with the
 * last container of any isolated network, though other isolated networks
 * still rely on it: until the next setup, their containers could reach
 * each other. keepIsolation puts it back while another network is in use.
 */
import { spawnSync } from 'node:child_process'
import { readLeases } from './leases.js'

/**
 * After netavark tore down these networks (name -> the address it held):
 * put the jump back if one of them has no lease left while another network
 * still does, or while `anchored` (the default bridge's rules stay up).
 */
export function keepIsolation(stateRoot: string, left: Record<string, string>, anchored: boolean): void {
  const leases = Object.values(readLeases(stateRoot))
  const emptied = Object.keys(left).filter((net) => !leases.some((l) => net in l.networks))
  if (emptied.length === 0) return
  if (!leases.some((l) => Object.keys(l.networks).length > 0) && !anchored) return
  const env = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` }
  const check = spawnSync('iptables', ['-w', '-t', 'filter', '-C', 'FORWARD', '-j', 'NETAVARK_ISOLATION_1'], { env, stdio: 'ignore' })
  if (check.status === 0) return
  spawnSync('iptables', ['-w', '-t', 'filter', '-I', 'FORWARD', '1', '-j', 'NETAVARK_ISOLATION_1'], { env, stdio: 'ignore' })
}
