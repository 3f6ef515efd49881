/**
 * `create`: a container recorded and its filesystem made (writable layer,
 * volumes), not started: Docker's Created state. `start` plans the rest
 * from what the state recorded (start-existing.ts).
 *
 * A create that fails leaves nothing, as a failed run does. A start that
 * fails afterwards leaves the container Created, as Docker does: it was
 * made by a command that succeeded.
 */
import type { Host } from '../process/host.js'
import { containerEvent } from '../../events/container-events.js'
import { makeFilesystem } from '../process/run-host-steps.js'
import { realHost } from './real-host.js'
import type { PreparedContainer } from './run-options.js'
import { initialState, recordContainer } from './start.js'
import { removeState, type ContainerState } from './state.js'
import { writeKeepingUpdates } from './limits-meanwhile.js'

export async function createContainer(p: PreparedContainer, host: Host = realHost): Promise<ContainerState> {
  if (!p.detached) throw new TypeError('createContainer needs a container prepared with detach: its starts run under a monitor')
  const recorded = initialState(p)
  // while it is being made, a kill of this process leaves a failed create, which
  // the next command removes (containers.ts); once made, it waits for `start`
  await recordContainer(p, recorded)
  const { runtime: _, ...state } = recorded
  try {
    await makeFilesystem(p.plan, host)
  } catch (err) {
    removeState(p.stateRoot, state)
    containerEvent(p.stateRoot, 'destroy', state)
    throw err
  }
  writeKeepingUpdates(p.stateRoot, state)
  return state
}
