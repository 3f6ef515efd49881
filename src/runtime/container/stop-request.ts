/**
 * A stop that was asked for (stop, kill -9, rm -f, compose stop and down),
 * noted in the container's state directory before the signal goes: whatever
 * runs when the container exits (a restart policy) must not bring back a
 * container someone stopped, as Docker's HasBeenManuallyStopped says.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const FILE = 'stop-requested'

export function markStopRequested(stateRoot: string, id: string): void {
  try {
    writeFileSync(join(stateRoot, id, FILE), '')
  } catch {
    // removed meanwhile: nothing will restart it
  }
}

/** Asked to stop, or removed. */
export function stopRequested(stateRoot: string, id: string): boolean {
  return existsSync(join(stateRoot, id, FILE)) || !existsSync(join(stateRoot, id))
}
