/**
 * `create`: a container recorded and its filesystem made (writable layer,
 * volumes), not started: Docker's Created state. `start` plans the rest
 * from what the state recorded (start-existing.ts).
 *
 * A create that fails leaves nothing, as a failed run does. A start that
 * fails afterwards leaves the container Created, as Docker does: it was
 * made by a command that succeeded.
 */
import { randomName } from './random-name.js'
import type { Host } from '../process/host.js'
import { makeFilesystem } from '../process/run-host-steps.js'
import { realHost } from './real-host.js'
import type { PreparedContainer } from './run-options.js'
import { initialState } from './start.js'
import { createState, removeState, type ContainerState } from './state.js'

export async function createContainer(p: PreparedContainer, host: Host = realHost): Promise<ContainerState> {
  if (!p.detached) throw new TypeError('createContainer needs a container prepared with detach: its starts run under a monitor')
  const state = initialState(p)
  createState(p.stateRoot, state, p.nameGenerated ? randomName : undefined)
  try {
    await makeFilesystem(p.plan, host)
  } catch (err) {
    removeState(p.stateRoot, state)
    throw err
  }
  return state
}
