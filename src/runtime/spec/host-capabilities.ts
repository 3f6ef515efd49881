/**
 * The capabilities the runtime itself holds: its bounding set
 * (/proc/self/status CapBnd, proc(5)). A container can get no capability
 * outside it, so `--cap-add ALL` and `--privileged` mean this set, not every
 * capability the kernel knows: on a host (or in a sandbox) that took
 * CAP_SYS_RESOURCE from the runtime, asking for it fails in capset(2).
 */
import { readFileSync } from 'node:fs'
import { capabilityNames } from './capabilities.js'

export function parseCapBnd(status: string): string[] | undefined {
  const m = /^CapBnd:\s+([0-9a-f]+)$/m.exec(status)
  return m ? capabilityNames(BigInt(`0x${m[1]}`)) : undefined
}

export function hostCapabilities(): string[] | undefined {
  try {
    return parseCapBnd(readFileSync('/proc/self/status', 'utf8'))
  } catch {
    return undefined
  }
}
