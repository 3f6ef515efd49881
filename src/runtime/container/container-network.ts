/**
 * A container's network as its preparation decides it (network/plan-network.ts
 * plans it), and --network container:X's side that reads other containers'
 * states: X is looked up when the container is made (its hostname and /etc
 * files become the joiner's, as in Docker), and again at each start, when
 * it must run (openRunningContainer, the start plan's container_process step).
 */
import { writeFileSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import { joinedMarker } from '../../network/attach.js'
import { planNetwork, type NetworkPlan } from '../../network/plan-network.js'
import { CONTAINER_MODE, type JoinedContainer } from '../../network/plan-joined-network.js'
import { openContainerProcess } from '../process/container-process.js'
import type { HostNamespace } from '../spec/container-spec.js'
import type { JoinableNamespace } from '../plan/steps.js'
import { findContainer, type ContainerInfo } from './containers.js'
import type { RootFilesystem } from './rootfs-source.js'
import type { RunOptions } from './run-options.js'

/** Docker's error for a container to join that does not run (daemon getNetworkedContainer, getPidContainer, getIpcContainer). */
function notRunning(ref: string, namespace: JoinableNamespace = 'network'): MiniRunError {
  const what = namespace === 'network' ? 'network' : namespace.toUpperCase()
  return new MiniRunError(`cannot join ${what} of a non running container: ${ref}`, { code: 'ENOTRUNNING' })
}

export function lookUp(stateRoot: string, ref: string, by: string = ref): ContainerInfo {
  try {
    return findContainer(stateRoot, by)
  } catch (err) {
    // by the id recorded at create: the same words with the name the user gave
    if ((err as MiniRunError).code === 'ENOCONTAINER') throw new MiniRunError(`no such container: ${ref}`, { code: 'ENOCONTAINER', cause: err })
    throw err
  }
}

/**
 * --network container:X: X as it is now, checked against the flags that
 * need a network of the container's own. X need not run yet (`create`,
 * compose's create before start, as Docker's daemon checks at the start).
 */
export function networkContainerOf(o: Pick<RunOptions, 'network' | 'hostname' | 'userns'>, stateRoot: string, root: boolean): JoinedContainer | undefined {
  if (!o.network?.startsWith(CONTAINER_MODE)) return undefined
  const ref = o.network.slice(CONTAINER_MODE.length)
  if (ref === '') throw new UsageError('--network container: needs the name or id of the container whose network to join')
  // each rootless container has a user namespace of its own, which owns its network namespace: another's child may not setns(2) into it
  if (!root) throw new UsageError(`--network ${o.network}: a rootless container cannot join another's network: each has its own user namespace, which owns its network namespace`)
  if (o.userns === 'auto') throw new UsageError(`--network ${o.network} needs the host's user namespace: not with --userns=auto`)
  if (o.hostname) throw new UsageError('conflicting options: hostname and the network mode')
  const x = lookUp(stateRoot, ref)
  const network = x.startInput?.network
  return {
    id: x.id,
    ref,
    hostname: x.spec?.hostname ?? network?.hostname ?? x.id.slice(0, 12),
    files: network?.files ?? {},
  }
}

/** A pidfd of the process of container id (the start plan's container_process step); Docker's error unless it runs. */
export function openRunningContainer(stateRoot: string, id: string, ref: string, namespace: JoinableNamespace = 'network'): number {
  const x = lookUp(stateRoot, ref, id)
  // before the check: X's teardown, if X stops after it, must find it (attach.ts). X
  // joined another's network itself: that one was marked by X's own start
  if (namespace === 'network' && x.network?.veth && !x.network.detached) {
    try {
      writeFileSync(joinedMarker(stateRoot, x.id), '', { mode: 0o600 })
    } catch (err) {
      // X removed since it was read
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MiniRunError(`no such container: ${ref}`, { code: 'ENOCONTAINER', cause: err })
      throw err
    }
  }
  const fd = x.status === 'running' ? openContainerProcess(x) : undefined
  if (fd === undefined) throw notRunning(ref, namespace)
  return fd
}

/** The network (src/network/): checked now, made after the clone by the plan's network step. */
export function networkOf(
  o: RunOptions,
  id: string,
  name: string,
  fs: RootFilesystem,
  hostNamespaces: HostNamespace[],
  where: { root: boolean; storeRoot: string; stateRoot: string; networkOf?: JoinedContainer },
): NetworkPlan {
  const hostname = o.hostname || (hostNamespaces.includes('uts') || hostNamespaces.includes('network') ? osHostname() : id.slice(0, 12))
  const drop = (o.network === 'host' || o.network === 'none') && (o.networkFlags?.publish?.length || o.networkFlags?.publishAll)
  const flags = drop ? { ...o.networkFlags, publish: [], publishAll: false } : o.networkFlags
  return planNetwork({ ...flags, network: o.network }, {
    id,
    name,
    hostname,
    ...(o.domainname ? { domainname: o.domainname } : {}),
    storeRoot: where.storeRoot,
    stateRoot: where.stateRoot,
    rootless: !where.root,
    filesDir: fs.containerDir ?? join(where.stateRoot, id),
    rootfsDir: o.rootfs !== undefined ? fs.path : undefined,
    exposed: fs.image?.ExposedPorts ?? null,
    ...(o.readOnly ? { readOnly: true } : {}),
    ...(where.networkOf ? { networkOf: where.networkOf } : {}),
  })
}

/**
 * Docker's daemon on ports published with --network host or none: not an
 * error, but dropped (networkOf), which scripts and compose files copied
 * between modes rely on; -p with host gets its warning (daemon/create.go),
 * -P and none none. The warning, or undefined.
 */
export function portsDiscarded(o: Pick<RunOptions, 'network' | 'networkFlags'>): string | undefined {
  return o.network === 'host' && o.networkFlags?.publish?.length ? 'Published ports are discarded when using host network mode' : undefined
}
