/**
 * Who may change the store when, with several mini-run processes at once
 * (pulls, builds, runs, prunes) and no daemon. The model is containerd's
 * content store and podman's c/storage:
 *
 *   <root>/locks/layer-<chainIdHex>.lock   held while a layer is ingested: a
 *                                          second pull of it waits, then finds
 *                                          it stored and downloads nothing
 *   <root>/locks/ref-<name>.lock           held while a name is pointed
 *   <root>/locks/gc.lock                   exclusive: garbage collection (prune,
 *                                          rmi, system check --repair) while
 *                                          it decides and renames away;
 *                                          shared: anyone making a lease or a
 *                                          container record, for a moment
 *   <root>/leases/<owner>.json             what a running operation uses
 *                                          before a ref or a container names
 *                                          it (store-lease.ts)
 *
 * Readers take no lock: everything is published by rename(2) and removed by
 * a rename into tmp/ first, so a reader sees an object whole or not at all.
 * Nothing is ever deleted under a writer either: a writer first leases what
 * it will use (under the shared lock), then checks it is there; the
 * collector reads the leases and the containers' records under the
 * exclusive lock and spares them. So either the lease came first and the
 * collector sees it, or the collector came first and the writer sees what
 * it removed.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ensurePrivateDir } from '../private-dir.js'
import { isRemoved, lockFile, tryLockFile, type FileLock, type LockMode, type LockWaitOptions } from '../file-lock.js'
import { digestHex } from './digest.js'
import { STORE_PRIVATE, storeRootDir } from './store-dirs.js'
import { refFileName } from './refs.js'

export function locksDir(storeRoot: string): string {
  return join(storeRoot, 'locks')
}

function lockPath(storeRoot: string, name: string): string {
  ensurePrivateDir(storeRoot, storeRootDir())
  const dir = locksDir(storeRoot)
  ensurePrivateDir(dir, STORE_PRIVATE)
  return join(dir, name)
}

/** The store-wide lock: shared to lease or record, exclusive to collect garbage. */
export function lockGc(storeRoot: string, mode: LockMode, o: LockWaitOptions = {}): Promise<FileLock> {
  return lockFile(lockPath(storeRoot, 'gc.lock'), mode, o)
}

export async function withGcLock<T>(storeRoot: string, mode: LockMode, fn: () => T | Promise<T>, o: LockWaitOptions = {}): Promise<T> {
  const lock = await lockGc(storeRoot, mode, o)
  try {
    return await fn()
  } finally {
    lock.release()
  }
}

/** The ingest lock of one layer (by chain id). */
export function lockLayer(storeRoot: string, chainId: string, o: LockWaitOptions = {}): Promise<FileLock> {
  return lockFile(lockPath(storeRoot, `layer-${digestHex(chainId)}.lock`), 'exclusive', o)
}

/**
 * The ingest locks of several layers, taken in one global order (sorted by
 * chain id): two pulls that share layers then never wait for each other in
 * a circle, each holding one the other needs.
 */
export async function lockLayers(storeRoot: string, chainIds: Iterable<string>, o: LockWaitOptions = {}): Promise<FileLock[]> {
  const locks: FileLock[] = []
  try {
    for (const chainId of [...new Set(chainIds)].sort()) locks.push(await lockLayer(storeRoot, chainId, o))
  } catch (err) {
    for (const l of locks) l.release()
    throw err
  }
  return locks
}

/**
 * The lock of one name (normalized), held while it is pointed at an image.
 * Its file goes with the name (removeRefLock): a lock taken on a file that
 * was removed meanwhile is taken again, on the file that is there now.
 */
export async function lockRef(storeRoot: string, name: string, o: LockWaitOptions = {}): Promise<FileLock> {
  for (;;) {
    const lock = await lockFile(lockPath(storeRoot, `ref-${refFileName(name)}.lock`), 'exclusive', o)
    if (!isRemoved(lock)) return lock
    lock.release()
  }
}

/**
 * After a name's removal (rmi, prune): its lock file too, so locks/ does not
 * keep a file for every name ever tagged. Left when someone holds it: that
 * process is pointing the name again.
 */
export function removeRefLock(storeRoot: string, name: string): void {
  const path = join(locksDir(storeRoot), `ref-${refFileName(name)}.lock`)
  if (existsSync(path)) tryLockFile(path, 'exclusive')?.releaseAndRemove()
}
