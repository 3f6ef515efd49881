/**
 * The lock of a state root's names/ directory: every state write, a name's
 * reservation and release, and the /etc/hosts rewrites of linked
 * containers (container-links.ts) hold it, each for a few system calls.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { dirLockPath, isRemoved, lockFileSync, type FileLock } from '../../file-lock.js'

/** The names/ directories whose lock this process holds now (withNamesLock). */
const namesHeld = new Set<string>()

/**
 * Run fn holding the lock of names/ (made if missing). Every holder keeps it
 * for a few system calls, so it is waited for blocking. names/ is removed
 * when its last name goes: a lock taken on a removed names/ is taken again.
 */
export function withNamesLock<T>(stateRoot: string, fn: (names: string) => T): T {
  const names = join(stateRoot, 'names')
  // held already (relink's updateState): held still, whatever fn removes meanwhile (names/ when its last name goes)
  if (namesHeld.has(names)) return fn(names)
  for (;;) {
    let lock: FileLock
    try {
      // ENOENT from either: names/ went with its last name meanwhile (even between the mkdir's EEXIST and its check)
      mkdirSync(names, { recursive: true, mode: 0o700 })
      lock = lockFileSync(dirLockPath(names), 'exclusive')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    try {
      if (!isRemoved(lock)) {
        namesHeld.add(names)
        try {
          return fn(names)
        } finally {
          namesHeld.delete(names)
        }
      }
    } finally {
      lock.release()
    }
  }
}
