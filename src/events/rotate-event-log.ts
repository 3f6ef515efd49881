/**
 * Keeping the events log bounded (podman's events_logfile_max_size): once
 * it passes its limit, the appender that saw it renames it to events.log.1
 * (replacing the older one), under a lock so that two appenders that both
 * saw it do not both rotate. An appender that finds another rotating waits
 * for it (a rename: it is quick), so that no appender writes on past the
 * limit while a rotator is descheduled: each writes at most one line more
 * than the limit. Appenders take no lock to append: a rename keeps the
 * inode, so a line written through an fd opened just before it lands at the
 * end of events.log.1, where readers still find it; nothing is truncated
 * under a writer. The two files together hold about twice the limit.
 */
import { renameSync, statSync } from 'node:fs'
import { lockFileSync } from '../file-lock.js'

export function rotateEventLog(path: string, max: number): void {
  const lock = lockFileSync(`${path}.lock`, 'exclusive')
  try {
    // rotated already by the one that held the lock before us
    if (statSync(path).size <= max) return
    renameSync(path, `${path}.1`)
  } finally {
    lock.release()
  }
}
