/**
 * `network reload` (podman's): a running container's networks set up
 * again, after the host's firewall lost their rules. `iptables -F`,
 * `firewall-cmd --reload` or `ufw reload` take the published ports' DNAT,
 * the masquerade and the isolation of every network with them, and
 * nothing puts them back: mini-run has no daemon to notice, as Docker's
 * puts them back only when dockerd restarts. podman's answer is this verb,
 * and it does what podman's does (libpod's reloadContainerNetwork): tear
 * the container's networks down, failures passed over (what was flushed
 * is gone already), and set them up again with the same input. netavark
 * adds each network's own rules where it finds them missing, so the
 * network comes back with its first container reloaded.
 *
 * The addresses, MACs, names and ports are the container's own (the
 * recorded input has them); established connections through the old
 * interfaces break, as in podman. A container on mini-run's own veth of
 * the default bridge (fast-bridge.ts) comes back on netavark's, which the
 * record then says, so that its teardown is netavark's too. A container on
 * pasta (an ordinary user's) has no firewall rules: nothing to do.
 */
import { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import { findContainer } from '../runtime/container/containers.js'
import { updateState } from '../runtime/container/state.js'
import { networkMode } from '../runtime/container/filter-containers.js'
import { netavark, type NetworkRecord } from './attach.js'
import { anchorBridge, hairpinPorts } from './fast-bridge.js'
import { ensurePinLocked, withContainerNetworkLock } from './netns-pin.js'
import { DEFAULT_NETWORK, defaultNetwork } from './networks.js'

/** Why a container has nothing to reload: --all passes over these, as podman's does. */
export const NOT_RELOADABLE = new Set(['ENOTRUNNING', 'ENETMODE'])

function notRunning(ref: string): MiniRunError {
  return new MiniRunError(`container ${ref} is not running: only a running container's network can be reloaded`, { code: 'ENOTRUNNING' })
}

/** Reload the network of the container `ref` names; returns its id. */
export function reloadNetwork(stateRoot: string, ref: string): string {
  const id = findContainer(stateRoot, ref).id
  // under the lock the container's teardown, connect and disconnect take: each waits for this, and reads what it made
  withContainerNetworkLock(stateRoot, id, () => reloadLocked(stateRoot, ref, id))
  return id
}

function reloadLocked(stateRoot: string, ref: string, id: string): void {
  // as it is now (stopped, started again, connected since the lookup: each seen here)
  const c = findContainer(stateRoot, id)
  if (c.status !== 'running' || c.pid === undefined || c.network?.detached) throw notRunning(ref)
  const mode = networkMode(c)
  if (c.networkContainer !== undefined || (c.network === undefined && (mode === 'host' || mode === 'none'))) {
    throw new MiniRunError(`container ${ref} has network mode ${mode}: no network of its own to reload`, { code: 'ENETMODE' })
  }
  const record = c.network
  // pasta: no firewall rules of its own; a bridge container disconnected from every network: none at all
  if (record?.mode !== 'bridge' || !record.netavark || Object.keys(record.netavark.networks).length === 0) return
  let pin: string
  try {
    // netavark finds the namespace by a path (one on the fast veth has none until it needs one): of this process
    pin = ensurePinLocked(stateRoot, { id: c.id, pid: c.pid, ...(c.pidStartTime !== undefined ? { pidStartTime: c.pidStartTime } : {}) })
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOTCONNECTABLE') throw notRunning(ref)
    throw err
  }
  const options = record.netavark
  try {
    netavark('teardown', stateRoot, pin, options)
  } catch (err) {
    // the rules a flush took are gone already: netavark's complaint about them changes nothing
    getLogger().debug({ err, id: c.id }, 'network reload: netavark teardown')
  }
  // recorded before the setup: from here a crash leaves the teardown to netavark, for every network
  updateState(stateRoot, c.id, (state) => {
    if (!state.network) return state
    const network: NetworkRecord = { ...state.network }
    delete network.veth
    return { ...state, network }
  })
  netavark('setup', stateRoot, pin, options, { reordered: true })
  // as a start does (attach.ts): its published ports reached at the host's address come back through its own port;
  // best effort, as connect's: the networks are back by now
  if (record.ports.length) {
    try {
      hairpinPorts(pin, Object.values(options.networks).map((n) => n.interface_name))
    } catch (err) {
      getLogger().warn({ err }, `hairpin of ${c.id.slice(0, 12)}'s bridge ports: the container will not reach its own published ports at the host's address`)
    }
  }
  if (DEFAULT_NETWORK in options.networks) anchorBridge(stateRoot, defaultNetwork())
}
