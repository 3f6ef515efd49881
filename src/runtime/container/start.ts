/**
 * What a foreground and a detached start share: the container's first state
 * (recorded before anything is made, so that a runtime killed at any point
 * leaves what `rm` needs to clean up), then the plan's host steps.
 */
import { randomName } from './random-name.js'
import { processStartTime } from '../../proc-stat.js'
import type { Host, NetworkContext } from '../process/host.js'
import { runHostSteps, type Launched } from '../process/run-host-steps.js'
import type { PreparedContainer } from './run-options.js'
import { createState, removeState, writeState, type ContainerState } from './state.js'
import { releaseAutoRange } from './userns-ranges.js'

/** The first state of a container: what it is, before it runs. */
export function initialState(p: PreparedContainer): ContainerState {
  return {
    id: p.id,
    name: p.name,
    image: p.image,
    chainIds: p.chainIds,
    command: p.spec.process.args,
    created: new Date().toISOString(),
    status: 'created',
    containerDir: p.containerDir,
    usernsSlot: p.usernsSlot,
    volumes: p.volumes,
    // known before it exists: a runtime killed before the container runs
    // leaves a leaf that `rm` must still find
    cgroupMount: p.cgroup?.mount,
    cgroup: p.cgroup?.path,
    cgroupV1: p.cgroupV1,
    stopSignal: p.stopSignal ?? 'SIGTERM',
    stopTimeout: p.stopTimeout,
    autoRemove: p.autoRemove || undefined,
    logConfig: p.logDriver === 'none' ? { type: 'none', config: {} } : p.detached ? { type: 'json-file', config: { ...p.logConfig.options } } : undefined,
    spec: p.spec,
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
export async function startContainer(p: PreparedContainer, host: Host, stdio: [number, number, number]): Promise<Started> {
  const state = initialState(p)
  try {
    createState(p.stateRoot, state, p.nameGenerated ? randomName : undefined)
  } catch (err) {
    // the name is taken: the id range prepare took for it goes back
    if (p.usernsSlot !== undefined) releaseAutoRange(p.stateRoot, p.id, p.usernsSlot)
    throw err
  }
  let launched: Launched
  try {
    launched = await runHostSteps(p.plan, host, { stdio, network: networkContext(p.stateRoot, state) })
  } catch (err) {
    removeState(p.stateRoot, state)
    throw err
  }
  state.pid = launched.pid
  // its start time tells it from a later process on the same pid
  state.pidStartTime = processStartTime(launched.pid)
  state.monitorPid = launched.monitorPid
  state.startedAt = new Date().toISOString()
  writeState(p.stateRoot, state)
  return { launched, state }
}

/**
 * Whose network a start's network step attaches. Each thing the step makes
 * is recorded in the state first: rm -f can undo it after any crash.
 */
export function networkContext(stateRoot: string, state: ContainerState): NetworkContext {
  return { stateRoot, id: state.id, name: state.name, save: (record) => writeState(stateRoot, { ...state, network: (state.network = record) }) }
}

/** A start that failed after the clone: give back everything it made, state included. */
export async function abandonStart(p: PreparedContainer, s: Started): Promise<void> {
  await s.launched.resources.undo()
  removeState(p.stateRoot, s.state)
}
