/** The running kernel's version against a minimum, as "5.10" or "4.14.0". */
import { release } from 'node:os'

/** Whether `version` (uname's release, "6.1.0-13-amd64") is at least `min`, compared number by number. */
export function kernelAtLeast(min: string, version: string = release()): boolean {
  const a = version.split(/[.-]/).map(Number)
  const b = min.split('.').map(Number)
  for (let i = 0; i < b.length; i++) {
    if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0)
  }
  return true
}
