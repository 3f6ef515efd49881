/**
 * A mount of Docker's flags as planned (volumes.ts for -v, --tmpfs and
 * the image's VOLUMEs, mount-flag.ts for --mount), and the checks of
 * paths and names they share.
 */
import { isAbsolute, posix, resolve } from 'node:path'
import { UsageError } from '../../errors.js'
import type { SpecMount } from './spec.js'

export interface PlannedVolume {
  mount: SpecMount
  /** -v of a host directory that does not exist: create it before the run. */
  createSource?: boolean
  /** A volume of the store: the mount's source is its _data directory, filled in later. */
  volume?: VolumeRef
  /** Docker's MountPoint.Mode (inspect's Mounts[].Mode): see dockerMountRecord. */
  mode: string
  /** --tmpfs: its options as given, Docker's HostConfig.Tmpfs value (no mount point of Docker's). */
  tmpfsFlag?: string
}

export interface VolumeRef {
  /** undefined: an anonymous volume, named when the container is made. */
  name?: string
  /** -v NAME:/p:nocopy, --mount volume-nocopy: never pre-populate it from the image. */
  nocopy: boolean
  /** --mount volume-opt=K=V: the local driver's options (local-volume.ts), used if the volume is made by this container. */
  options?: Record<string, string>
  /** --mount volume-label=K=V: the volume's labels, if it is made by this container. */
  labels?: Record<string, string>
  /** --mount volume-subpath: the directory (or file) of the volume mounted, relative and normalized; never out of it. */
  subpath?: string
}

/** Docker's volume names (moby's RestrictedNameChars, two characters at least). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/** Throws a one-line UsageError unless `name` is a valid volume name. */
export function checkVolumeName(name: string, context: string): void {
  if (!VOLUME_NAME.test(name)) {
    throw new UsageError(
      `${context}: "${name}" is not a valid volume name: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, two characters at least (a host directory is an absolute or ./ path)`,
    )
  }
}

// their contents are made by the start steps: into a host directory, if bound there
const RESERVED = new Set(['/proc', '/sys', '/dev', '/dev/pts'])
export const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'])
// Docker's default for --tmpfs: noexec,nosuid,nodev (moby's DefaultTmpfsOptions idea)
export const TMPFS_DEFAULTS = ['nosuid', 'noexec']

export function volumeMount(
  destination: string,
  name: string | undefined,
  readOnly: boolean,
  nocopy: boolean,
  mode: string,
  more: Pick<VolumeRef, 'options' | 'labels' | 'subpath'> = {},
): PlannedVolume {
  return {
    mount: { destination, type: 'bind', source: '', options: bindOptions(readOnly, undefined) },
    volume: { ...(name !== undefined ? { name } : {}), nocopy, ...more },
    mode,
  }
}

export function containerPath(path: string, flag: string): string {
  if (!path.startsWith('/')) throw new UsageError(`invalid ${flag}: the container path "${path}" is not absolute`)
  const normal = posix.normalize(path).replace(/(.)\/$/, '$1')
  if (normal === '/') throw new UsageError(`invalid ${flag}: cannot mount over the container's /`)
  if (RESERVED.has(normal)) throw new UsageError(`invalid ${flag}: ${normal} is mounted by mini-run for every container`)
  return normal
}

/** A host path: absolute, or relative to cwd when it starts with . or .. */
export function hostPath(path: string, cwd: string): string | undefined {
  if (isAbsolute(path)) return posix.normalize(path)
  if (path === '.' || path === '..' || path.startsWith('./') || path.startsWith('../')) return resolve(cwd, path)
  return undefined
}

export function bindOptions(readOnly: boolean, propagation: string | undefined): string[] {
  return ['bind', readOnly ? 'ro' : 'rw', 'nodev', propagation ?? 'rprivate']
}
