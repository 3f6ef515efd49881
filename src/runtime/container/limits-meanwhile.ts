/**
 * What `update` stored while a start was being made. A start plans from the
 * state it read first and writes those limits into its new cgroups; an
 * update that comes between that read and the start's record of its
 * process finds a container that does not run, and only stores the limits
 * (update-container.ts). Both take the state's lock for their write, so the
 * start, when it records its process, sees whether one came: the count of
 * updates is not the one it planned with. It then writes the stored limits
 * into the cgroups it made, as an update of a running container would, and
 * the container never runs with the old ones past its start.
 *
 * A start (run, start, a restart policy's restart) also writes back state
 * it holds in memory: the fields an update owns are taken from the state
 * as it is then (fieldsOfUpdates), not from that copy, or an update made
 * meanwhile would be lost.
 */
import { writeLiveLimits } from '../cgroup/live-limits.js'
import { v1Procs, type V1Leaf } from '../cgroup/cgroup-v1.js'
import type { SpecResources } from '../cgroup/cgroup-limits.js'
import { updateState, type ContainerState } from './state.js'

/** The fields of state.json an update writes (the spec and start input are config.json's, written by the update itself). */
export function fieldsOfUpdates(now: ContainerState): Pick<ContainerState, 'restartPolicy' | 'cgroupV1' | 'limitsUpdates'> {
  return { restartPolicy: now.restartPolicy, cgroupV1: now.cgroupV1, limitsUpdates: now.limitsUpdates }
}

/**
 * Write `state` (a start's copy in memory) with the fields an update owns
 * as the state has them now: network records and status changes of a start
 * must not undo an update made while it ran.
 */
export function writeKeepingUpdates(stateRoot: string, state: ContainerState): ContainerState {
  return updateState(stateRoot, state.id, (now) => ({ ...state, ...fieldsOfUpdates(now) }))
}

/**
 * Called under the state's lock (updateState) by a start recording its
 * process: when an update came since `planned` was read, its limits go
 * into the running cgroups now; the v1 leaves the container then has.
 * Nothing is done (no file read) when none came.
 */
export function applyUpdatesMeanwhile(now: ContainerState, planned: { limitsUpdates?: number; cgroupV1?: V1Leaf[] }): Pick<ContainerState, 'cgroupV1'> | undefined {
  if ((now.limitsUpdates ?? 0) === (planned.limitsUpdates ?? 0)) return undefined
  const stored = now.spec?.linux.resources ?? {}
  // the sections update changes, and the block I/O weight; the rest (devices, the throttles) is the start's and was written by it
  const weight = stored.blockIO?.weight
  const r: SpecResources = {
    ...(stored.memory && { memory: stored.memory }), ...(stored.pids && { pids: stored.pids }), ...(stored.cpu && { cpu: stored.cpu }),
    ...(weight !== undefined && { blockIO: { weight } }),
  }
  // the update recorded the leaves its limits need (state.cgroupV1): those the start did not make are made now
  const leaves = writeLiveLimits(r, {
    v2Leaf: now.cgroup,
    v2Mount: now.cgroupMount,
    v1: planned.cgroupV1 ?? [],
    needed: now.cgroupV1 ?? [],
    pids: () => (now.cgroup ? v1Procs(now.cgroup) : []),
  })
  return { cgroupV1: leaves.length ? leaves : undefined }
}
