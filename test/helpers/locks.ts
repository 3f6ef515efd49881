import { readFileSync } from 'node:fs'

/** Whether pid waits for a file lock (/proc/locks: a blocked request shows as "->"). */
export function waitsForLock(pid: number): boolean {
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((l) => l.includes('->') && l.split(/\s+/).includes(String(pid)))
}
