/**
 * `run -d`: the container outlives the command that started it.
 *
 * Its parent is then mini-run-monitor (native/monitor.c), a small static
 * program like podman's conmon: it clones the container with the same
 * trampoline as a foreground run, reaps it, writes its output as Docker
 * json-file log lines and its exit status to the state directory. The plan
 * says so (its clone step is the monitor's); this process does the rest of
 * the handshake exactly as for a foreground run, then leaves.
 */
import { MiniRunError } from '../../errors.js'
import { crashPoint } from '../../crash-point.js'
import { containerEvent } from '../../events/container-events.js'
import { volumeMountEvents } from './container-volumes.js'
import { execErrorOf } from '../process/exit-status.js'
import type { Host } from '../process/host.js'
import { StepError } from '../process/step-error.js'
import { noteLinks } from './container-links.js'
import { realHost } from './real-host.js'
import type { PreparedContainer } from './run-options.js'
import { abandonStart, startContainer } from './start.js'
import { writeKeepingUpdates } from './limits-meanwhile.js'
import { startHealthRunner } from '../health/runner-process.js'

/** Start the container under a monitor; resolves to its id once its command runs. */
export async function startDetached(p: PreparedContainer, host: Host = realHost): Promise<string> {
  if (!p.detached) throw new TypeError('startDetached needs a container prepared with detach')
  const started = await startContainer(p, host, [0, 1, 2]) // stdio unused: the monitor gives the container its own
  const { launched, state } = started
  let failure: Error | null
  try {
    failure = await launched.started
  } catch (err) {
    failure = err as Error
  }
  if (failure) {
    // a container that never ran leaves nothing behind (its monitor exits with it)
    await abandonStart(p, started)
    throw failure instanceof StepError ? (execErrorOf(failure) ?? failure) : failure
  }
  launched.resources.closeFds()
  crashPoint('detach:before-running')
  state.status = 'running'
  try {
    writeKeepingUpdates(p.stateRoot, state)
  } catch (err) {
    // an rm -f of it came first: it runs no more, and nothing of it is left
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    throw new MiniRunError(`container ${p.id.slice(0, 12)} was removed while it was being started`, { code: 'ENOCONTAINER', cause: err })
  }
  volumeMountEvents(p.stateRoot, state)
  containerEvent(p.stateRoot, 'start', state)
  noteLinks(p.stateRoot, p.id, p.name, p.startInput.network)
  startHealthRunner(p.stateRoot, state)
  return p.id
}
