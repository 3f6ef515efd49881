/**
 * Keeping the events log bounded (podman's events_logfile_max_size): once
 * it passes its limit, the appender that saw it renames it to events.log.1
 * (replacing the older one), under a lock so that two appenders that both
 * saw it do not both rotate. Appenders take no lock: a rename keeps the
 * inode, so a line written through an fd opened just before it lands at the
 * end of events.log.1, where readers still find it; nothing is truncated
 * under a writer. The two files together hold at most twice the limit.
 */
import { renameSync, statSync } from 'node:fs'
import { tryLockFile } from '../file-lock.js'

export function rotateEventLog(path: string, max: number): void {
  // another process rotating now does it for us
  const lock = tryLockFile(`${path}.lock`, 'exclusive')
  if (!lock) return
  try {
    // rotated already by the one that held the lock before us
    if (statSync(path).size <= max) return
    renameSync(path, `${path}.1`)
  } finally {
    lock.release()
  }
}
