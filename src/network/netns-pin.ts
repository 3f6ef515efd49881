/**
 * A network namespace pinned by a bind mount of /proc/<pid>/ns/net on a file
 * in the container's state directory: netavark finds a namespace by a path,
 * and the pin keeps it (and eth0 in it) past the container's last process
 * until the teardown. mini-run's own veth on the default bridge needs none
 * (fast-bridge.ts): `network connect` pins such a container's namespace
 * when it first needs one.
 */
import { closeSync, constants, openSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import * as isolationCalls from '../native/isolation-calls.js'
import * as lockCalls from '../native/lock-calls.js'
import { processStartTime } from '../proc-stat.js'
import { removeFile } from '../remove-file.js'

export function netnsPin(stateRoot: string, id: string): string {
  return join(stateRoot, id, 'netns')
}

/** Pin the namespace of process pid on the container's pin. */
export function pinNamespace(stateRoot: string, id: string, pid: number): string {
  const pin = netnsPin(stateRoot, id)
  writeFileSync(pin, '', { mode: 0o600 })
  try {
    isolationCalls.bindMount(`/proc/${pid}/ns/net`, pin)
  } catch (err) {
    removeFile(pin)
    throw err
  }
  return pin
}

/** Unmount a pin (if mounted) and remove its file (if there). */
export function unpin(pin: string): void {
  try {
    isolationCalls.umount(pin, 2 /* MNT_DETACH */)
  } catch {
    // not mounted
  }
  removeFile(pin)
}

/** The containers' network locks this process holds, by state directory: a count of nested holds. */
const heldNetworkLocks = new Map<string, number>()

/**
 * The container's network lock (a file of its own in its state directory:
 * the directory's flock is the container's lock, which rm holds meanwhile),
 * held while fn runs; without a state directory, fn runs unlocked. A hold
 * inside a hold of the same process's is counted, not taken again.
 */
export function withContainerNetworkLock<T>(stateRoot: string, id: string, fn: () => T): T {
  // held already by this process (a reload's lookup settling a container that died, whose
  // leftover teardown takes it again): flock(2) on a second open file would wait for itself
  const key = join(stateRoot, id)
  const held = heldNetworkLocks.get(key) ?? 0
  if (held > 0) {
    heldNetworkLocks.set(key, held + 1)
    try {
      return fn()
    } finally {
      heldNetworkLocks.set(key, heldNetworkLocks.get(key)! - 1)
    }
  }
  let lockFd: number | undefined
  try {
    lockFd = openSync(join(stateRoot, id, 'network.lock'), constants.O_RDWR | constants.O_CREAT, 0o600)
    lockCalls.flock(lockFd, 'exclusive')
  } catch {
    // no state directory: nothing of ours can be pinned there
  }
  heldNetworkLocks.set(key, 1)
  try {
    return fn()
  } finally {
    heldNetworkLocks.delete(key)
    if (lockFd !== undefined) closeSync(lockFd)
  }
}


/**
 * The pin of a running container's namespace, made now if there is none
 * (network connect, disconnect, reload), by a caller that holds the lock
 * the teardown takes (withContainerNetworkLock). A pin that is not the
 * process's namespace (an empty file a killed connect left) is made again;
 * a pid that is no longer the container's process is refused.
 */
export function ensurePinLocked(stateRoot: string, c: { id: string; pid: number; pidStartTime?: string }): string {
  const notRunning = () => new MiniRunError(`container ${c.id.slice(0, 12)} is not running`, { code: 'ENOTCONNECTABLE' })
  const pin = netnsPin(stateRoot, c.id)
  const ns = statSync(`/proc/${c.pid}/ns/net`, { throwIfNoEntry: false })
  if (ns === undefined || processStartTime(c.pid) !== c.pidStartTime) throw notRunning()
  const pinned = statSync(pin, { throwIfNoEntry: false })
  if (pinned?.dev === ns.dev && pinned.ino === ns.ino) return pin
  unpin(pin)
  pinNamespace(stateRoot, c.id, c.pid)
  // the pid was the container's a moment ago: still, if it ended and was reused meanwhile, this is not its namespace
  if (processStartTime(c.pid) !== c.pidStartTime) {
    unpin(pin)
    throw notRunning()
  }
  return pin
}
