/**
 * Docker's local volume driver options (`volume create --opt`, --mount's
 * volume-opt, compose's driver_opts): type, device and o, as mount(8)
 * takes them. Pure.
 *
 *   --opt type=tmpfs --opt device=tmpfs --opt o=size=100m,uid=1000
 *   --opt type=none  --opt o=bind      --opt device=/host/path
 *
 * Docker mounts such a volume on its _data directory on the host when a
 * container starts with it. mini-run mounts it where the container sees
 * it, in the container's mount namespace, as a step of the start plan
 * like every other mount (plan-rootfs.ts): nothing is left mounted on the
 * host when a start fails half-way or the runtime is killed. The one
 * difference a user sees: two containers running at once with the same
 * tmpfs volume each get a tmpfs of their own (Docker's share one until the
 * last stops; its content is lost then anyway).
 *
 * A bind is never recursive (volumes.ts says why); rbind is taken as bind.
 * nodev is added whatever o says: there is no device cgroup (plan-start.ts).
 */
import { isAbsolute } from 'node:path'
import { UsageError } from '../../errors.js'
import type { SpecMount } from './spec.js'

/** The only driver there is. */
export const LOCAL_DRIVER = 'local'

/** Docker's words for a driver it has no plugin of (moby's plugin getter). */
export function checkVolumeDriver(driver: string, context: string): void {
  if (driver !== LOCAL_DRIVER) throw new UsageError(`${context}: error looking up volume plugin ${driver}: plugin "${driver}" not found`)
}

// moby volume/local/local_unix.go validOpts and mandatoryOpts
const VALID = new Set(['type', 'o', 'device', 'size'])
const NEEDS: Record<string, string> = { device: 'type', type: 'device', o: 'device' }
const NETWORK_TYPES = new Set(['nfs', 'nfs4', 'cifs', 'smb3'])

/** Throws Docker's error for options the local driver refuses; `context` names the volume ("create data"). */
export function checkLocalOptions(options: Readonly<Record<string, string>>, context: string): void {
  for (const key of Object.keys(options)) {
    if (!VALID.has(key)) throw new UsageError(`${context}: invalid option: "${key}"`)
  }
  if (options.size !== undefined) throw new UsageError(`${context}: option "size" needs project quotas on the volume's filesystem: not supported by mini-run`)
  for (const [key, needed] of Object.entries(NEEDS)) {
    if (options[key] !== undefined && options[needed] === undefined) throw new UsageError(`${context}: missing required option: "${needed}"`)
  }
  if (options.type !== undefined && NETWORK_TYPES.has(options.type)) {
    // the NFS and SMB clients talk from the mounting process's network namespace, and moby resolves addr= first
    throw new UsageError(`${context}: type=${options.type}: a network filesystem would be mounted from the container's own network, where its server may be out of reach: not supported by mini-run (mount it on the host and bind it: --opt type=none --opt o=bind --opt device=PATH)`)
  }
  if (isBind(options) && !isAbsolute(options.device!)) throw new UsageError(`${context}: the device of a bind, "${options.device}", must be an absolute path`)
}

function oParts(options: Readonly<Record<string, string>>): string[] {
  return (options.o ?? '').split(',').filter(Boolean)
}

function isBind(options: Readonly<Record<string, string>>): boolean {
  return oParts(options).some((p) => p === 'bind' || p === 'rbind')
}

/** Whether the volume is mounted from its options rather than bound from its _data directory. */
export function hasMountOptions(options: Readonly<Record<string, string>> | undefined): options is Record<string, string> {
  return options !== undefined && options.type !== undefined
}

/**
 * The OCI mount of a volume with options, at `destination`: the bind of
 * the device, or a mount of the filesystem type with o as its options.
 * Read-only when the container mounts it so (-v NAME:/d:ro) or o says ro.
 */
export function localVolumeMount(options: Readonly<Record<string, string>>, destination: string, readOnly: boolean): SpecMount {
  const parts = oParts(options)
  if (isBind(options)) {
    const rest = parts.filter((p) => !['bind', 'rbind', 'ro', 'rw'].includes(p))
    const ro = readOnly || parts.includes('ro')
    return { destination, type: 'bind', source: options.device!, options: ['bind', ...rest, ro ? 'ro' : 'rw', 'nodev', 'rprivate'] }
  }
  return { destination, type: options.type!, source: options.device!, options: [...parts, ...(readOnly ? ['ro'] : []), 'nodev'] }
}

/** KEY=VALUE options (volume create --opt, --mount volume-opt=): later ones win, as Docker's map does. */
export function parseOptionList(list: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of list) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new UsageError(`invalid argument "${item}" for "${flag}" flag: expected KEY=VALUE`)
    out[item.slice(0, eq)] = item.slice(eq + 1)
  }
  return out
}
