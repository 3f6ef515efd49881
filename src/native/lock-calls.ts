/**
 * flock(2) through native/: Node has no flock, and the store, networks,
 * volumes and health records all serialize their writers with it.
 */
import { call, check, DataType, failedWith } from './lib.js'

const FLOCK_OPERATIONS = { shared: 1, exclusive: 2, unlock: 8 } as const
const LOCK_NB = 4

/** flock(2) on an open fd: a lock held until unlock or close (see mr_flock); waits for it. */
export function flock(fd: number, operation: keyof typeof FLOCK_OPERATIONS): void {
  check('flock', call('mr_flock', [DataType.I32, DataType.I32], [fd, FLOCK_OPERATIONS[operation]]))
}

/** flock(2) with LOCK_NB: false, without waiting, when another open file holds a conflicting lock. */
export function tryFlock(fd: number, operation: 'shared' | 'exclusive'): boolean {
  const r = call('mr_flock', [DataType.I32, DataType.I32], [fd, FLOCK_OPERATIONS[operation] | LOCK_NB])
  if (failedWith(r, 'EAGAIN')) return false // EWOULDBLOCK
  check('flock', r)
  return true
}
