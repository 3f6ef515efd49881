/**
 * Linux capability names and bits (capabilities(7), include/uapi/linux/capability.h).
 */
import { UsageError } from '../../errors.js'

export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID',
  'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const

/**
 * Docker's default capability set (moby oci/caps/defaults.go): what a
 * container's root keeps. Everything else, CAP_SYS_ADMIN first, is dropped.
 */
export const DOCKER_DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
]

/** Accept `NET_ADMIN`, `net_admin`, `CAP_NET_ADMIN` and `ALL`, as Docker does. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase()
  if (upper === 'ALL') return 'ALL'
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`
  if (!(CAPABILITIES as readonly string[]).includes(full)) {
    throw new UsageError(`unknown capability: "${name}"`)
  }
  return full
}

/**
 * Docker's --cap-add / --cap-drop arithmetic over a base set. `all` is what
 * ALL means: every capability the runtime itself holds (host-capabilities.ts);
 * a capability outside its bounding set could never be given, and capset(2)
 * would fail with EPERM.
 */
export function adjustCapabilities(base: string[], add: string[], drop: string[], all: readonly string[] = CAPABILITIES): string[] {
  const adds = add.map(normalizeCapability)
  const drops = drop.map(normalizeCapability)
  let set = new Set(drops.includes('ALL') ? [] : base)
  for (const d of drops) set.delete(d)
  if (adds.includes('ALL')) set = new Set(all)
  for (const a of adds) if (a !== 'ALL') set.add(a)
  return CAPABILITIES.filter((c) => set.has(c))
}

/** The capability set as the 64-bit mask capset(2) takes (as a bigint). */
export function capabilityMask(names: readonly string[] | undefined): bigint {
  let mask = 0n
  for (const name of names ?? []) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name)
    if (bit < 0) throw new UsageError(`unknown capability: "${name}"`)
    mask |= 1n << BigInt(bit)
  }
  return mask
}

/** The names of the capabilities set in a mask (bit n is capability n, capability.h). */
export function capabilityNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n)
}
