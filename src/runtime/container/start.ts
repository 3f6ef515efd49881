/**
 * What a foreground and a detached start share: the container's first state
 * (recorded before anything is made, so that a runtime killed at any point
 * leaves what `rm` needs to clean up), then the plan's host steps.
 *
 * A start that fails leaves nothing: no state, writable layer, cgroup leaf
 * or volume claim, whatever failed (a host step, a step of the container's
 * own, its command) and with or without --rm. Without a daemon there is
 * nobody to show Docker's Created container to. A start cut short by a kill
 * of its runtime is a failed start too: the state names the runtime, and the
 * next command that finds it gone with the container never run removes what
 * it made (containers.ts).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { crashPoint, pausePoint } from '../../crash-point.js'
import { isoTime } from '../../iso-time.js'
import { MiniRunError } from '../../errors.js'
import { containerEvent } from '../../events/container-events.js'
import { digestHex } from '../../image/digest.js'
import { withGcLock } from '../../image/store-locks.js'
import { randomName } from './random-name.js'
import { processStartTime } from '../../proc-stat.js'
import type { NetworkRecord } from '../../network/attach.js'
import type { Host, NetworkContext } from '../process/host.js'
import { runHostSteps, type Launched } from '../process/run-host-steps.js'
import type { PreparedContainer } from './run-options.js'
import { applyUpdatesMeanwhile, fieldsOfUpdates } from './limits-meanwhile.js'
import { LiveLimitsError } from '../cgroup/live-limits.js'
import { destroyV1Leaves } from './container-cgroups.js'
import { createState, removeState, updateState, type ContainerState } from './state.js'
import { releaseAutoRange } from './userns-ranges.js'

/** The first state of a container: what it is, before it runs. */
export function initialState(p: PreparedContainer, o: { autoRemove?: boolean } = {}): ContainerState {
  return {
    id: p.id,
    name: p.name,
    image: p.image,
    chainIds: p.chainIds,
    command: p.spec.process.args,
    ...(p.entrypointLength ? { entrypointLength: p.entrypointLength } : {}),
    created: isoTime(),
    status: 'created',
    containerDir: p.containerDir,
    usernsSlot: p.usernsSlot,
    volumes: p.volumes,
    ...(p.mountModes ? { mountModes: p.mountModes } : {}),
    ...(p.tmpfs ? { tmpfs: p.tmpfs } : {}),
    // known before it exists: a runtime killed before the container runs
    // leaves a leaf that `rm` must still find
    cgroupMount: p.cgroup?.mount,
    cgroup: p.cgroup?.path,
    cgroupV1: p.cgroupV1,
    stopSignal: p.stopSignal ?? 'SIGTERM',
    stopTimeout: p.stopTimeout,
    autoRemove: p.autoRemove || o.autoRemove || undefined,
    runtime: { pid: process.pid, startTime: processStartTime(process.pid) ?? '0' },
    logConfig: p.logDriver === 'none' ? { type: 'none', config: {} } : p.detached ? { type: 'json-file', config: { ...p.logConfig.options } } : undefined,
    spec: p.spec,
    hostNetwork: !p.spec.linux.namespaces.some((ns) => ns.type === 'network'),
    ...(p.startInput.network?.container ? { networkContainer: p.startInput.network.container.id } : {}),
    ...(p.network ? { plannedNetworks: { mode: p.network.mode === 'pasta' ? 'pasta' : 'bridge', networks: p.network.attachments.map((a) => a.network.name) } } : {}),
    ...(p.labels ? { labels: p.labels } : {}),
    ...(p.imageId ? { imageId: p.imageId } : {}),
    ...(p.restartPolicy ? { restartPolicy: p.restartPolicy, restartCount: 0 } : {}),
    startInput: p.startInput,
    ...(p.healthcheck ? { healthcheck: p.healthcheck } : {}),
    ...(p.healthcheck && p.healthRunner ? { healthRunner: p.healthRunner } : {}),
  }
}

export interface Started {
  launched: Launched
  state: ContainerState
}

/**
 * Record the container, then carry out its host steps: the child exists
 * when this resolves (its command may still fail: launched.started says).
 * A failure before that leaves nothing behind, state included.
 */
export async function startContainer(
  p: PreparedContainer,
  host: Host,
  stdio: [number, number, number],
  o: { autoRemove?: boolean; beforeLaunch?: () => void } = {},
): Promise<Started> {
  const state = initialState(p, o)
  crashPoint('start:before-state')
  await recordContainer(p, state)
  crashPoint('start:after-state')
  let launched: Launched
  try {
    o.beforeLaunch?.()
    pausePoint('run:before-host-steps')
    launched = await runHostSteps(p.plan, host, { stdio, network: networkContext(p.stateRoot, state, { first: true }) })
  } catch (err) {
    removeState(p.stateRoot, state)
    containerEvent(p.stateRoot, 'destroy', state)
    throw err
  }
  state.pid = launched.pid
  // its start time tells it from a later process on the same pid
  state.pidStartTime = processStartTime(launched.pid)
  state.monitorPid = launched.monitorPid
  state.startedAt = isoTime()
  try {
    // under the lock an update takes: one that came while this start was made is written into its cgroups now
    updateState(p.stateRoot, state.id, (now) => Object.assign(state, fieldsOfUpdates(now), applyUpdatesMeanwhile(now, state)))
  } catch (err) {
    // its state went meanwhile (an rm -f of it while it started), or an update's limits were
    // refused: what started stops, what was made goes, and whatever its start said is not waited for
    launched.started.catch(() => undefined)
    try {
      host.kill(launched.pid, 'SIGKILL')
    } catch {
      // gone already
    }
    await launched.resources.undo()
    // v1 leaves made for the update's limits are no resource of this start's: they go too
    if (err instanceof LiveLimitsError) await destroyV1Leaves({ cgroupV1: err.leaves.filter((l) => !state.cgroupV1?.some((own) => own.path === l.path)) })
    removeState(p.stateRoot, state)
    containerEvent(p.stateRoot, 'destroy', state)
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    throw new MiniRunError(`container ${p.id.slice(0, 12)} was removed while it was being started`, { code: 'ENOCONTAINER', cause: err })
  }
  crashPoint('start:after-clone')
  return { launched, state }
}

/**
 * Write the first state, with its name (a generated one is drawn again
 * while taken: random-name.ts). Its image's layers are checked and the
 * state written with the store's GC lock shared: a prune or rmi that ran
 * between the image's resolution and now has removed them (the start fails
 * with one line), one that comes after sees the container (store-locks.ts).
 * On failure the id range prepare took for it goes back.
 */
export async function recordContainer(p: PreparedContainer, state: ContainerState): Promise<void> {
  const record = () => {
    const layers = p.chainIds ?? []
    const gone = layers.find((c) => !existsSync(join(p.storeRoot, 'layers', digestHex(c), 'layer.json')))
    if (gone !== undefined) {
      throw new MiniRunError(`image ${p.image ?? ''}: layer ${gone} was removed from the store while the container was being created; pull it again`, {
        code: 'EINCOMPLETE',
      })
    }
    createState(p.stateRoot, state, p.nameGenerated ? randomName : undefined)
  }
  try {
    if ((p.chainIds ?? []).length === 0) record()
    else await withGcLock(p.storeRoot, 'shared', record)
  } catch (err) {
    if (p.usernsSlot !== undefined) releaseAutoRange(p.stateRoot, p.id, p.usernsSlot)
    throw err
  }
  containerEvent(p.stateRoot, 'create', state)
}

/**
 * Whose network a start's network step attaches. Each thing the step makes
 * is recorded in the state first, so rm -f can undo it after any crash;
 * what needs no record to be undone (network/attach.ts) is written, on a
 * first start, with the pid (startContainer).
 */
export function networkContext(stateRoot: string, state: ContainerState, o: { first?: boolean } = {}): NetworkContext {
  return {
    stateRoot,
    id: state.id,
    name: state.name,
    // the fields an update owns as they are now, not as this copy has them (limits-meanwhile.ts)
    save: (record) => updateState(stateRoot, state.id, (now) => ({ ...state, ...fieldsOfUpdates(now), network: (state.network = record) })),
    ...(o.first && { note: (record: NetworkRecord) => void (state.network = record) }),
  }
}

/** A start that failed after the clone: give back everything it made, state included. */
export async function abandonStart(p: PreparedContainer, s: Started): Promise<void> {
  await s.launched.resources.undo()
  removeState(p.stateRoot, s.state)
  containerEvent(p.stateRoot, 'destroy', s.state)
}
