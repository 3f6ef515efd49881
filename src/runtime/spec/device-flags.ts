/**
 * Docker's --device HOST[:CONTAINER][:PERMISSIONS] and --device-cgroup-rule
 * "TYPE MAJOR:MINOR ACCESS", and --privileged's every host device, as the
 * spec's device nodes (bound from the host: plan-rootfs.ts) and device
 * cgroup rules (cgroup-devices.ts). A node is bound only if the host's is a
 * device node, whose numbers the rule then names.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { UsageError } from '../../errors.js'
import type { SpecDeviceRule } from '../cgroup/cgroup-limits.js'
import type { SpecDevice } from './spec.js'

export type DeviceNode = { type: 'c' | 'b'; major: number; minor: number }
/** What a host path is, if a device node (a double in unit tests). */
export type DeviceOf = (path: string) => DeviceNode | undefined

export function hostDevice(path: string): DeviceNode | undefined {
  try {
    const st = statSync(path)
    const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined
    if (!type) return undefined
    // Linux's dev_t: major in bits 8-19 (and 32+), minor in 0-7 and 20-31
    const rdev = BigInt(st.rdev)
    const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn))
    const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn))
    return { type, major, minor }
  } catch {
    return undefined
  }
}

/** --device /dev/fuse, /dev/fuse:/dev/myfuse, /dev/fuse:r, /dev/fuse:/dev/myfuse:rw */
export function parseDeviceFlag(text: string, deviceOf: DeviceOf = hostDevice): { device: SpecDevice; rule: SpecDeviceRule } {
  const parts = text.split(':')
  const host = parts[0] ?? ''
  let container = host
  let access = 'rwm'
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1]!)) access = parts[1]!
    else container = parts[1]!
  } else if (parts.length === 3) {
    container = parts[1]!
    access = parts[2]!
  } else if (parts.length > 3) {
    throw new UsageError(`invalid --device ${text}: use HOST[:CONTAINER][:PERMISSIONS]`)
  }
  if (!host.startsWith('/') || !container.startsWith('/')) throw new UsageError(`invalid --device ${text}: paths must be absolute`)
  if (!/^[rwm]+$/.test(access)) throw new UsageError(`invalid --device ${text}: permissions are made of r, w and m`)
  const node = deviceOf(host)
  if (!node) throw new UsageError(`--device ${text}: ${host} is not a device node on this host`)
  return {
    device: { path: container, ...node, ...(container !== host ? { hostPath: host } : {}) },
    rule: { allow: true, ...node, access },
  }
}

/** --device-cgroup-rule "c 10:229 rwm", "b 8:* r", "a *:* m" */
export function parseDeviceCgroupRule(text: string): SpecDeviceRule {
  const m = /^\s*([abc])\s+(\*|\d+):(\*|\d+)\s+([rwm]+)\s*$/.exec(text)
  if (!m) throw new UsageError(`invalid --device-cgroup-rule ${JSON.stringify(text)}: use "TYPE MAJOR:MINOR ACCESS", such as "c 10:229 rwm"`)
  return {
    allow: true,
    type: m[1] as 'a' | 'b' | 'c',
    ...(m[2] !== '*' ? { major: Number(m[2]) } : {}),
    ...(m[3] !== '*' ? { minor: Number(m[3]) } : {}),
    access: m[4]!,
  }
}

/** Directories of /dev that are no host device a container should get (its own instances replace them). */
const SKIP = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/fd', '/dev/hugepages', '/dev/console', '/dev/ptmx'])

/** --privileged: every device node of the host's /dev (Docker's hostDevices), not its terminals' multiplexer or its console. */
export function hostDevices(dir = '/dev', deviceOf: DeviceOf = hostDevice): SpecDevice[] {
  const found: SpecDevice[] = []
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return found
  }
  for (const e of entries) {
    const path = join(dir, e.name)
    if (SKIP.has(path)) continue
    if (e.isDirectory()) found.push(...hostDevices(path, deviceOf))
    else if (e.isCharacterDevice() || e.isBlockDevice()) {
      const node = deviceOf(path)
      if (node) found.push({ path, ...node })
    }
  }
  return found
}
