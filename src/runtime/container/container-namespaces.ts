/**
 * --pid container:X and --ipc container:X, Docker's debug sidecar
 * (`run --pid container:web busybox ps` lists web's processes): X is
 * looked up by name or id when the container is made and recorded by its
 * id; each start joins X's namespace through a pidfd of X's process (the
 * start plan's container_process step, plan-join.ts), refused unless X runs.
 *
 * Only as root in the host's user namespace, as --network container:: a
 * rootless container or one under --userns=auto runs in a user namespace
 * of its own, which does not own X's namespaces, and setns(2) into them
 * needs CAP_SYS_ADMIN in the one that does.
 */
import { UsageError } from '../../errors.js'
import type { JoinedNamespaces } from '../plan/plan-join.js'
import type { JoinedContainerRef } from '../plan/steps.js'
import { CONTAINER_MODE } from '../../network/plan-joined-network.js'
import { lookUp } from './container-network.js'
import type { RunOptions } from './run-options.js'
import { HOST_SHM_MOUNT } from '../spec/docker-defaults.js'
import type { Spec } from '../spec/spec.js'

/** The namespaces given as container:X, looked up now (X need not run yet: `create`, as Docker's daemon checks at the start). */
export function joinedNamespacesOf(o: Pick<RunOptions, 'pid' | 'ipc' | 'userns'>, stateRoot: string, root: boolean): JoinedNamespaces | undefined {
  const pid = joinedOf('pid', o, stateRoot, root)
  const ipc = joinedOf('ipc', o, stateRoot, root)
  return pid || ipc ? { ...(pid && { pid }), ...(ipc && { ipc }) } : undefined
}

function joinedOf(ns: 'pid' | 'ipc', o: Pick<RunOptions, 'pid' | 'ipc' | 'userns'>, stateRoot: string, root: boolean): JoinedContainerRef | undefined {
  const mode = o[ns]
  if (!mode?.startsWith(CONTAINER_MODE)) return undefined
  const ref = mode.slice(CONTAINER_MODE.length)
  const what = ns.toUpperCase()
  // Docker's CLI (opts.go): PidMode/IpcMode container: without a name is not valid
  if (ref === '') throw new UsageError(`--${ns}: invalid ${what} mode`)
  if (!root) throw new UsageError(`--${ns} ${mode}: a rootless container cannot join another's ${what} namespace: each has its own user namespace, which owns its ${what} namespace`)
  if (o.userns === 'auto') throw new UsageError(`--${ns} ${mode} needs the host's user namespace: not with --userns=auto`)
  const x = lookUp(stateRoot, ref)
  // the joiner binds X's /dev/shm (plan-join.ts): Docker refuses a donor whose /dev/shm is a mount of the user's (moby's HasMountFor)
  if (ns === 'ipc' && x.spec && !shmShareable(x.spec)) {
    throw new UsageError(`failed to join IPC namespace: container ${ref}: non-shareable IPC (its /dev/shm is a mount of its own: -v, --mount or --tmpfs)`)
  }
  // X joins another's PID namespace itself: its process stays outside it (plan-join.ts's fork_relay), so the joiner joins that other one's
  const through = ns === 'pid' ? x.startInput?.joins?.pid : undefined
  return { id: through?.id ?? x.id, ref, stateRoot }
}

/** /dev/shm is the default tmpfs (its own, or another's it joined), or the host's (--ipc host). */
function shmShareable(spec: Spec): boolean {
  const shm = spec.mounts.filter((m) => m.destination === '/dev/shm').pop()
  if (!shm) return false
  return (shm.type === 'tmpfs' && shm.source === 'shm') || (shm.type === HOST_SHM_MOUNT.type && shm.source === HOST_SHM_MOUNT.source)
}
