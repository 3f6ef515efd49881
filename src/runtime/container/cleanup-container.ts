/**
 * What follows a detached container's exit: `mini-run internal cleanup ID`,
 * which its monitor execs once the exit file is written (podman's conmon
 * runs `podman container cleanup` the same way). The network is torn down
 * and the cgroup released at once, not at `rm`: a stopped container holds
 * no address, port or rule, as in Docker. With --rm the container goes too;
 * with a restart policy, restart-container.ts decides what follows.
 */
import { detachNetwork } from '../../network/index.js'
import { containerEvent } from '../../events/container-events.js'
import { volumeUnmountEvents } from './container-volumes.js'
import { inspectState } from './containers.js'
import { removeContainer } from './remove-container.js'
import { readState, updateState } from './state.js'
import { releaseCgroup } from './stop-container.js'

export async function cleanupContainer(stateRoot: string, id: string, storeRoot: string): Promise<void> {
  let state
  try {
    state = readState(stateRoot, id)
  } catch {
    return // removed already (rm -f got there first)
  }
  const c = inspectState(stateRoot, state)
  if (c.status === 'running') return // not ours to touch: another process of it still runs
  // its start failed: the runtime that started it is undoing it (abandonStart)
  if (state.status === 'created') return
  try {
    if (state.network) {
      detachNetwork(stateRoot, id, state.network)
      try {
        // the ports and addresses are given back; what they were stays for inspect
        const network = { ...state.network, detached: true }
        updateState(stateRoot, id, (now) => ({ ...now, network }))
      } catch {
        // rm removed it meanwhile
      }
    }
  } finally {
    // the exit its monitor saw, as Docker's daemon reports it when containerd tells it:
    // after the networks' disconnects (detachNetwork) and the volumes' unmounts
    volumeUnmountEvents(stateRoot, c)
    containerEvent(stateRoot, 'die', c, { exitCode: String(c.exitCode ?? 255) })
  }
  if (state.autoRemove) {
    // --rm: its anonymous volumes go too, as in Docker. An rm -f that holds
    // the container's lock removes it itself (and waits for this command)
    await removeContainer(stateRoot, inspectState(stateRoot, readState(stateRoot, id)), true, { storeRoot, volumes: true, ifUnlocked: true }).catch(() => undefined)
    return
  }
  if (state.restartPolicy && state.restartPolicy.name !== 'no') {
    const { restartAfterExit } = await import('./restart-container.js')
    await restartAfterExit(stateRoot, id)
    return
  }
  await releaseCgroup(stateRoot, c).catch(() => undefined)
}
