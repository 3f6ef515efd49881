/**
 * `restart`: stop the container (if it runs), then start it again.
 *
 * A `run -d --rm` container is restarted, not removed, as Docker's daemon
 * does (daemon/restart.go sets AutoRemove aside across the stop): while it
 * stops its state says no --rm, so its monitor's cleanup
 * (cleanup-container.ts) leaves it, and once it runs again the state says
 * --rm again. Its writable layer was mounted with overlayfs `volatile`
 * (prepare.ts), which leaves work/work/incompat/volatile behind: the
 * kernel's mark of a layer whose writes may not have reached the disk, and
 * overlayfs refuses to mount the layer again while it is there. This
 * layer's mount went cleanly (the container stopped, its mount namespace
 * with it), so the mark goes before the start, as containers/storage
 * removes it before it mounts a volatile layer again.
 *
 * A foreground `run --rm` is its runtime's to remove once it exits: that
 * one is stopped and gone, and the start says so.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { containerEvent } from '../../events/container-events.js'
import { currentInfo, type ContainerInfo } from './containers.js'
import { startExisting } from './start-existing.js'
import { updateState } from './state.js'
import { stopContainer } from './stop-container.js'

/** `restart -t` and `-s`: as stopContainer takes them. */
export async function restartByUser(stateRoot: string, c: ContainerInfo, timeoutSeconds?: number, signal?: NodeJS.Signals | number): Promise<void> {
  const keep = c.autoRemove === true && c.status === 'running' && c.monitorPid !== undefined
  if (keep) updateState(stateRoot, c.id, (state) => ({ ...state, autoRemove: undefined }))
  try {
    const now = keep ? (currentInfo(stateRoot, c.id) ?? { ...c, autoRemove: undefined }) : c
    const stopped = await stopContainer(stateRoot, now, timeoutSeconds, signal)
    if (keep && c.containerDir) rmSync(join(c.containerDir, 'work', 'work', 'incompat', 'volatile'), { recursive: true, force: true })
    const started = await startExisting(stateRoot, { ...stopped, status: stopped.status === 'running' ? 'exited' : stopped.status })
    containerEvent(stateRoot, 'restart', started)
  } finally {
    // --rm again: once it exits it goes, and a start that failed leaves it
    // stopped, which the next command that looks removes (containers.ts)
    if (keep) {
      try {
        updateState(stateRoot, c.id, (state) => ({ ...state, autoRemove: true }))
      } catch {
        // removed meanwhile (rm -f)
      }
    }
  }
}
