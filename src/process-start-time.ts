/**
 * Field 22 of /proc/<pid>/stat: when the process started, in clock ticks
 * after boot. A pid alone can be reused by another process (pid_max is
 * 32768 on many hosts); the pair (pid, start time) cannot, so it is how
 * mini-run names "that process" in records that outlive it.
 */
import { readFileSync } from 'node:fs'

/** The start time of pid, or undefined if there is no such process. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // comm (field 2) may hold spaces and parentheses: count from the last ")"
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}
