/**
 * The device cgroup: which device nodes a container may open (read, write)
 * or create (mknod), whatever nodes its /dev holds. Without it a process
 * with CAP_MKNOD, or a node shipped in an image, reaches the host's disks.
 * OCI's linux.resources.devices is an ordered list of rules; the last rule
 * that matches an access decides (runc's devices emulator).
 *
 * cgroup v1 has a controller for it (cgroup-v1/devices.rst): an allow list
 * and a deny list written rule by rule. cgroup v2 has none: a program of
 * type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup decides instead
 * (device-bpf.ts).
 */
import type { SpecDeviceRule } from './cgroup-limits.js'

/** A rule as the v1 controller's devices.allow / devices.deny take it: "c 1:3 rwm", "a". */
export function deviceRuleLine(rule: SpecDeviceRule): string {
  const type = rule.type ?? 'a'
  const access = rule.access ?? 'rwm'
  const num = (n: number | undefined) => (n === undefined || n < 0 ? '*' : String(n))
  if (type === 'a' && rule.major === undefined && rule.minor === undefined && access === 'rwm') return 'a'
  return `${type} ${num(rule.major)}:${num(rule.minor)} ${access}`
}

/**
 * The devices every container may use whatever its config says, appended to
 * its rules as runc does (libcontainer/specconv AllowedDevices): mknod of
 * any node (opening one still needs a rule), the standard character devices,
 * its terminals.
 */
export const ALWAYS_ALLOWED_DEVICES: SpecDeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
]

/** Whether the rules let a process open (r or w) or mknod (m) this device: the last matching rule decides, none matching denies. */
export function deviceAllowed(rules: readonly SpecDeviceRule[], type: 'c' | 'b', major: number, minor: number, access: 'r' | 'w' | 'm'): boolean {
  let allowed = false
  for (const rule of rules) {
    const t = rule.type ?? 'a'
    if (t !== 'a' && t !== type) continue
    if (rule.major !== undefined && rule.major >= 0 && rule.major !== major) continue
    if (rule.minor !== undefined && rule.minor >= 0 && rule.minor !== minor) continue
    if (!(rule.access ?? 'rwm').includes(access)) continue
    allowed = rule.allow
  }
  return allowed
}
