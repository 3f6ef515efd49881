/**
 * Locks shared by mini-run processes that work on one store or state
 * directory at once. There is no daemon to hold them in memory (containerd's
 * content store keeps its per-digest ingest locks in its own memory), so they
 * are flock(2) locks on files: the kernel drops a lock when its last fd is
 * closed, also when its process is killed with SIGKILL, so a crash never
 * leaves a lock behind for the next command to trip over.
 *
 * flock(2) locks belong to the open file description: two opens of one file
 * in one process conflict like two processes. A lock taken again by the
 * process that holds it is therefore counted here instead of opened again
 * (a pull holds its layers' locks while the store's unpack takes each one).
 *
 * Waiting polls with LOCK_NB rather than blocking: a blocked flock(2) would
 * stop Node's event loop (a pull's other downloads with it), and a poll can
 * give up when its operation is aborted.
 */
import { closeSync, constants, fstatSync, openSync, unlinkSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import * as lockCalls from './native/lock-calls.js'

export type LockMode = 'shared' | 'exclusive'

export interface FileLock {
  readonly path: string
  /** Give the lock back (the last of a process's holds closes the file). */
  release(): void
  /** Give it back and remove the lock file, while still holding it, if this is the last hold. */
  releaseAndRemove(): void
}

interface Held {
  fd: number
  mode: LockMode
  count: number
}

const held = new Map<string, Held>()

function openLockFile(path: string): number {
  // a directory is locked through an fd of its own: nothing is created in it
  // (a file made in a directory that another process is deleting would stop
  // its rmdir), and a directory removed meanwhile shows as nlink 0 (isRemoved)
  if (path.endsWith('/')) return openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
  // O_CREAT without O_EXCL: whoever comes first makes it; 0600, it says nothing to others
  return openSync(path, constants.O_RDONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
}

/** A directory's path as a lock path: it is locked itself, through an fd of it. */
export function dirLockPath(dir: string): string {
  return dir.endsWith('/') ? dir : `${dir}/`
}

/** The locked file or directory was removed (rmdir, unlink) while or before it was locked. */
export function isRemoved(lock: FileLock): boolean {
  const h = held.get(lock.path)
  return h === undefined || fstatSync(h.fd).nlink === 0
}

function holdOf(path: string, h: Held): FileLock {
  let released = false
  const drop = (remove: boolean) => {
    if (released) return
    released = true
    if (--h.count > 0) return
    held.delete(path)
    if (remove) {
      try {
        unlinkSync(path)
      } catch {
        // gone already
      }
    }
    closeSync(h.fd) // releases the flock
  }
  return { path, release: () => drop(false), releaseAndRemove: () => drop(true) }
}

function reentered(path: string, mode: LockMode): FileLock | undefined {
  const h = held.get(path)
  if (!h) return undefined
  // a shared hold cannot become exclusive in place: that would need the others' consent
  if (mode === 'exclusive' && h.mode !== 'exclusive') throw new Error(`lock ${path} is held shared by this process`)
  h.count++
  return holdOf(path, h)
}

/** Take the lock now, or undefined if another process holds a conflicting one. */
export function tryLockFile(path: string, mode: LockMode): FileLock | undefined {
  const again = reentered(path, mode)
  if (again) return again
  const fd = openLockFile(path)
  let ok = false
  try {
    ok = lockCalls.tryFlock(fd, mode)
  } finally {
    if (!ok) closeSync(fd)
  }
  if (!ok) return undefined
  const h: Held = { fd, mode, count: 1 }
  held.set(path, h)
  return holdOf(path, h)
}

export interface LockWaitOptions {
  signal?: AbortSignal
  /** Called once if the lock is not free at once (to say what is being waited for). */
  onWait?: () => void
}

/** Take the lock, waiting (polling, 2 ms to 100 ms apart) while another process holds a conflicting one. */
export async function lockFile(path: string, mode: LockMode, o: LockWaitOptions = {}): Promise<FileLock> {
  let delay = 2
  for (let first = true; ; first = false) {
    o.signal?.throwIfAborted()
    const lock = tryLockFile(path, mode)
    if (lock) return lock
    if (first) o.onWait?.()
    await sleep(delay, undefined, o.signal ? { signal: o.signal } : {})
    delay = Math.min(100, delay * 2)
  }
}

/**
 * Take the lock, blocking the thread: only for locks every holder keeps for
 * a few system calls (a name reservation), where a poll would cost more
 * than the wait.
 */
export function lockFileSync(path: string, mode: LockMode): FileLock {
  const again = reentered(path, mode)
  if (again) return again
  const fd = openLockFile(path)
  try {
    lockCalls.flock(fd, mode)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  const h: Held = { fd, mode, count: 1 }
  held.set(path, h)
  return holdOf(path, h)
}
