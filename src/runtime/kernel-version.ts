/** The running kernel's version against a minimum, as "5.10" or "4.14.0". */
import { readFileSync } from 'node:fs'
import { release } from 'node:os'

let running: string | undefined

/**
 * uname's release, read from procfs: node:os is not loaded at a run's start,
 * and its first use compiles it (0.35 ms); a file of procfs is one read.
 */
export function kernelRelease(): string {
  if (running === undefined) {
    try {
      // utf8: Node's one-call read (any other encoding takes its generic path)
      running = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
    } catch {
      running = release()
    }
  }
  return running
}

/**
 * Whether `version` (uname's release, "6.1.0-13-amd64", "5.10+") is at
 * least `min`, compared number by number (each part's leading digits).
 */
export function kernelAtLeast(min: string, version: string = kernelRelease()): boolean {
  const a = version.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0)
  const b = min.split('.').map(Number)
  for (let i = 0; i < b.length; i++) {
    if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0)
  }
  return true
}
