/**
 * Run a prepared container to completion: cgroup and writable layer, launch,
 * terminal or inherited stdio, signal forwarding, exit status, teardown.
 */
import {
  closeIdmappedLayers,
  createCgroup,
  createContainerDirs,
  removeCgroup,
  removeContainerDirs,
  type PreparedContainer,
} from './run-container.js'
import { createState, removeState, writeState, type ContainerState } from './state.js'
import { oomKilled } from './cgroup-limits.js'
import { leafPath } from './cgroup.js'
import { processStartTime } from './containers.js'
import { superviseProcess } from './supervise.js'
import { attachNetwork, detachNetwork } from '../network/index.js'

export interface RunIo {
  /** Fds 0-2 for the container when there is no terminal. */
  stdio: [number, number, number]
  /** Forward the runtime's own signals to the container (the CLI does). */
  forwardSignals?: boolean
}

/**
 * Run the container and resolve to its exit code. A failed start throws a
 * StepError (125) or an ExecError (126/127), after cleaning up.
 */
export async function runPrepared(p: PreparedContainer, io: RunIo, options: { remove: boolean }): Promise<number> {
  let leaf: ReturnType<typeof createCgroup>
  const state = initialState(p)
  createState(p.stateRoot, state)
  let exitCode: number | undefined
  try {
    createContainerDirs(p)
    leaf = createCgroup(p)
    const keepFds = p.rootfs.kind === 'overlay' && p.rootfs.idmapped ? [...p.rootfs.idmapped.fds] : []
    exitCode = await superviseProcess({
      plan: p.plan,
      stdio: io.stdio,
      ...(leaf ? { cgroupFd: leaf.fd } : {}),
      keepFds,
      ...(p.idMaps ? { idMaps: p.idMaps } : {}),
      pty: p.pty,
      forwardSignals: io.forwardSignals === true,
      ...networkHook(p, state),
      onSpawned: (pid) => {
        closeIdmappedLayers(p)
        recordProcess(state, pid, leaf?.path)
      },
      onRunning: () => {
        state.status = 'running'
        writeState(p.stateRoot, state)
      },
    })
    return exitCode
  } finally {
    closeIdmappedLayers(p)
    if (leaf) state.oomKilled = oomKilled(leaf.path)
    await removeCgroup(p, leaf)
    if (p.network) {
      detachNetwork(p.stateRoot, p.id, state.network)
      delete state.network
    }
    if (options.remove) {
      removeContainerDirs(p)
      removeState(p.stateRoot, state)
    } else {
      writeState(p.stateRoot, {
        ...state,
        status: 'exited',
        ...(exitCode !== undefined ? { exitCode } : {}),
        finishedAt: new Date().toISOString(),
      })
    }
  }
}

/** The first state of a container: what it is, before it runs. */
export function initialState(p: PreparedContainer): ContainerState {
  return {
    id: p.id,
    name: p.name,
    ...(p.image !== undefined ? { image: p.image } : {}),
    ...(p.chainIds ? { chainIds: p.chainIds } : {}),
    command: p.spec.process.args,
    created: new Date().toISOString(),
    status: 'created',
    ...(p.containerDir ? { containerDir: p.containerDir } : {}),
    ...(p.usernsSlot !== undefined ? { usernsSlot: p.usernsSlot } : {}),
    ...(p.cgroupMount ? { cgroupMount: p.cgroupMount } : {}),
    // known before it exists: a runtime killed before the container runs
    // leaves a leaf that `rm` must still find
    ...(p.cgroupMount && p.cgroupParent !== undefined ? { cgroup: leafPath(p.cgroupMount, p.cgroupParent, p.id) } : {}),
    stopSignal: p.stopSignal ?? 'SIGTERM',
    ...(p.stopTimeout !== undefined ? { stopTimeout: p.stopTimeout } : {}),
    spec: p.spec,
  }
}

/** Note the started process (and its start time, against pid reuse). */
export function recordProcess(state: ContainerState, pid: number, cgroup: string | undefined): void {
  state.pid = pid
  const started = processStartTime(pid)
  if (started) state.pidStartTime = started
  if (cgroup) state.cgroup = cgroup
}

/** The launch hook that attaches the container to its network, recording each step in its state. */
export function networkHook(p: PreparedContainer, state: ContainerState): { afterClone?: (pid: number) => void } {
  const plan = p.network
  if (!plan) return {}
  return {
    afterClone: (pid) => {
      attachNetwork(plan, {
        stateRoot: p.stateRoot,
        id: p.id,
        name: p.name,
        save: (record) => {
          state.network = record
          writeState(p.stateRoot, state)
        },
      }, pid)
    },
  }
}
