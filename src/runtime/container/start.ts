/**
 * What a foreground and a detached start share: the container's first state
 * (recorded before anything is made, so that a runtime killed at any point
 * leaves what `rm` needs to clean up), then the plan's host steps.
 */
import { processStartTime } from '../../proc-stat.js'
import type { Host } from '../process/host.js'
import { runHostSteps, type Launched } from '../process/run-host-steps.js'
import type { PreparedContainer } from './run-options.js'
import { createState, removeState, writeState, type ContainerState } from './state.js'

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
    stopSignal: p.stopSignal ?? 'SIGTERM',
    stopTimeout: p.stopTimeout,
    autoRemove: p.autoRemove || undefined,
    logConfig: p.detached ? { type: 'json-file', config: { ...p.logConfig.options } } : undefined,
    spec: p.spec,
    ...(p.labels ? { labels: p.labels } : {}),
    ...(p.healthcheck ? { healthcheck: p.healthcheck } : {}),
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
  createState(p.stateRoot, state)
  let launched: Launched
  try {
    launched = await runHostSteps(p.plan, host, {
      stdio,
      // each thing the network step makes is recorded first: rm -f can undo it after any crash
      network: { stateRoot: p.stateRoot, id: p.id, name: p.name, save: (record) => writeState(p.stateRoot, { ...state, network: (state.network = record) }) },
    })
  } catch (err) {
    removeState(p.stateRoot, state)
    throw err
  }
  state.pid = launched.pid
  // its start time tells it from a later process on the same pid
  state.pidStartTime = processStartTime(launched.pid)
  state.monitorPid = launched.monitorPid
  writeState(p.stateRoot, state)
  return { launched, state }
}

/** A start that failed after the clone: give back everything it made, state included. */
export async function abandonStart(p: PreparedContainer, s: Started): Promise<void> {
  await s.launched.resources.undo()
  removeState(p.stateRoot, s.state)
}
