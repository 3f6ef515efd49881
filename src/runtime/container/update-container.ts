/**
 * `update`: a container's limits and restart policy changed after it was
 * made, as `docker update` changes them. The new limits go into its spec
 * (inspect's HostConfig, and what every later start writes) and, while it
 * runs, into its cgroups at once (cgroup/live-limits.ts: the same files a
 * start writes, in the same hierarchies). The restart policy is read from
 * the state by the exit command its monitor runs (restart-policy.ts), so
 * the one written here is the one the next exit is decided by.
 *
 * All of it, the cgroup writes included, happens in one updateState: the
 * lock every writer of the state takes, so a stop, a restart or another
 * update in between cannot lose this one or see half of it. A start takes
 * it too when it records its process: an update that came while the start
 * was being made (stored only: the container did not run) is counted in
 * limitsUpdates, and the start writes it into its new cgroups then
 * (limits-meanwhile.ts).
 *
 * Every value is checked before any file is written; a file the kernel
 * refuses leaves the limits as they were (live-limits.ts) and the state as
 * it was, but for a v1 leaf made on the way, which is recorded so that a
 * removal finds it.
 */
import { relative } from 'node:path'
import { pausePoint } from '../../crash-point.js'
import { MiniRunError } from '../../errors.js'
import { checkControllers, flagOfController } from '../cgroup/cgroup-limits.js'
import { readCgroupHost, v1LeavesFor } from '../cgroup/cgroup-placement.js'
import { cgroupPathIn, v1Procs, type V1Leaf } from '../cgroup/cgroup-v1.js'
import { LiveLimitsError, writeLiveLimits } from '../cgroup/live-limits.js'
import { updatedLimits, type UpdateFlags } from '../cgroup/update-limits.js'
import { discardUnsupportedWeights } from '../cgroup/unsupported-limits.js'
import { inspectState, type ContainerInfo } from './containers.js'
import type { RestartPolicy } from './restart-policy.js'
import { updateState, type ContainerState } from './state.js'

export interface ContainerUpdate {
  /** Docker's resource flags as given (-m, --memory-swap, --pids-limit, --cpus, --cpu-shares). */
  resources?: UpdateFlags
  restart?: RestartPolicy
}

/** Returns Docker's warnings (a weight the host cannot set, discarded). */
export function updateContainer(stateRoot: string, c: Pick<ContainerInfo, 'id'>, u: ContainerUpdate): string[] {
  let failed: Error | undefined
  const warnings: string[] = []
  updateState(stateRoot, c.id, (state) => {
    const next: ContainerState = { ...state }
    if (u.restart) {
      // moby's daemon refuses it (container/container_unix.go UpdateContainer)
      if (state.autoRemove && u.restart.name !== 'no') throw new MiniRunError('Restart policy cannot be updated because AutoRemove is enabled for the container', { code: 'ECONFLICT' })
      next.restartPolicy = u.restart
    }
    if (u.resources && Object.values(u.resources).some((v) => v !== undefined)) {
      try {
        Object.assign(next, withLimits(stateRoot, state, u.resources, warnings))
      } catch (err) {
        if (!(err instanceof LiveLimitsError)) throw err
        // the limits stay as they were; the leaves it has now are recorded, nothing else
        failed = new MiniRunError(`Cannot update container ${state.id}: ${err.message}`, { code: err.code, cause: err })
        return { ...state, ...recordedLeaves(state, err.leaves) }
      }
    }
    pausePoint('update:before-write')
    return next
  })
  if (failed) throw failed
  return warnings
}

/** The state's fields for the v1 leaves a container has. */
function recordedLeaves(state: ContainerState, leaves: V1Leaf[]): Partial<ContainerState> {
  const cgroupV1 = leaves.length ? leaves : undefined
  return { cgroupV1, ...(state.startInput ? { startInput: { ...state.startInput, cgroupV1 } } : {}) }
}

/** The fields of the state the new limits change; the cgroups written if it runs. */
function withLimits(stateRoot: string, state: ContainerState, flags: UpdateFlags, warnings: string[]): Partial<ContainerState> {
  const { spec, startInput } = state
  const short = state.id.slice(0, 12)
  if (!spec || !startInput) throw new MiniRunError(`Cannot update container ${short}: its state does not record its spec (made by an older mini-run)`, { code: 'ENOSTARTINPUT' })
  let limits: ReturnType<typeof updatedLimits>
  try {
    limits = updatedLimits(spec.linux.resources, flags, { cfs: startInput.given?.cfs === true })
  } catch (err) {
    // the daemon's words: "Cannot update container ID: ..."
    throw new MiniRunError(`Cannot update container ${state.id}: ${(err as Error).message}`, { code: (err as MiniRunError).code, cause: err })
  }
  const leaf = startInput.cgroupPath
  const mount = startInput.cgroupMount
  if (!leaf || !mount) throw new MiniRunError(`Cannot update container ${short}: it has no cgroup of its own (--cgroup-parent "", or no cgroup hierarchy mini-run may write)`, { code: 'ENOCONTROLLER' })
  let needed: V1Leaf[] = []
  if (process.getuid?.() === 0) {
    // a weight the host cannot set goes, with Docker's warning, as a run's does (unsupported-limits.ts)
    const host = readCgroupHost()
    const kept = discardUnsupportedWeights(limits.changed, host)
    if (kept.warnings.length) {
      warnings.push(...kept.warnings)
      const changed = kept.resources ?? {}
      limits = { changed, merged: { ...spec.linux.resources, ...changed } }
    }
    // where a start puts them (prepare-host.ts): under the caller's own cgroup in each v1 hierarchy, at the v2 leaf's path
    needed = v1LeavesFor(limits.changed, host, (m, own) => cgroupPathIn(m, own, relative(mount, leaf)), flagOfController, { removeParents: true })
  } else {
    checkControllers(mount, limits.changed)
  }
  const running = inspectState(stateRoot, state).status === 'running'
  const recorded = state.cgroupV1 ?? startInput.cgroupV1 ?? []
  const leaves = running && state.cgroup
    ? writeLiveLimits(limits.changed, { v2Leaf: state.cgroup, v2Mount: state.cgroupMount, v1: recorded, needed, pids: () => v1Procs(state.cgroup!) })
    : [...recorded, ...needed.filter((l) => !recorded.some((r) => r.controller === l.controller))]
  const cgroupV1 = leaves.length ? leaves : undefined
  // inspect's CpuPeriod/CpuQuota or NanoCpus: whichever the last update of them gave
  const cfs = flags.cpus !== undefined ? undefined : flags.cpuPeriod !== undefined || flags.cpuQuota !== undefined ? true : startInput.given?.cfs
  const given = startInput.given ? { ...startInput.given, cfs } : undefined
  return {
    spec: { ...spec, linux: { ...spec.linux, resources: limits.merged } },
    startInput: { ...startInput, cgroupV1, ...(given ? { given: Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } : {}) },
    cgroupV1,
    limitsUpdates: (state.limitsUpdates ?? 0) + 1,
  }
}
