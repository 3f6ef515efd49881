/**
 * `wait`: block until a container has exited, and give its exit code.
 *
 * Polls the kernel's view (containers.ts: the container's process, by its
 * pid and start time) and the exit record. A detached container's record
 * comes a moment after its process is gone, once its monitor has logged the
 * last output; a `run -d --rm` container removes itself right after, so the
 * poll is short enough to read the record first.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { MiniRunError } from '../../errors.js'
import { inspectState, monitorAlive, type ContainerInfo } from './containers.js'
import { readState } from './state.js'

const POLL_MS = 20
/** How long an exited container may go without an exit code before we say we cannot know it. */
const RECORD_GRACE_MS = 3000

/** signal: stop waiting (the API's client went away), with its reason thrown. */
export async function waitContainer(stateRoot: string, c: ContainerInfo, signal?: AbortSignal): Promise<number> {
  let exitedSince: number | undefined
  for (;;) {
    signal?.throwIfAborted()
    let now: ContainerInfo
    try {
      now = inspectState(stateRoot, readState(stateRoot, c.id))
    } catch (err) {
      throw new MiniRunError(`container ${c.id.slice(0, 12)} was removed before its exit code could be read`, { cause: err })
    }
    if (now.status === 'exited') {
      if (now.exitCode !== undefined) return now.exitCode
      exitedSince ??= Date.now()
      const recording = monitorAlive(now)
      if (!recording && Date.now() - exitedSince > RECORD_GRACE_MS) {
        throw new MiniRunError(`container ${c.id.slice(0, 12)} has exited, but its exit code was never recorded (its monitor is gone)`)
      }
    }
    await sleep(POLL_MS)
  }
}
