/**
 * Docker's -v/--volume, --mount and --tmpfs as OCI mounts (pure).
 *
 * Bind mounts of host paths, tmpfs, and volumes of the store:
 * `-v NAME:/path` (Docker's rule: a source that is no host path, absolute
 * or ./relative, is a volume name), `-v /path` and `--mount type=volume`
 * without a source (anonymous volumes), and the image's VOLUME paths
 * (withImageVolumes). A volume is planned as a bind mount whose source, the
 * volume's _data directory, is filled in when the container is made
 * (container-volumes.ts).
 *
 * Every mount is nodev whatever the options say: there is no device cgroup,
 * so a device node on a writable mount must not open (plan-start.ts).
 * Binds are not recursive, unlike Docker's: the mounts under a host path
 * (its /dev, a disk mounted below it) would come along with their own
 * flags, dev and rw among them, and a remount changes only the top one;
 * the container would open host devices through them. So a bind shows the
 * host directory itself, and what is mounted below it stays outside.
 * rprivate unless told otherwise. A missing host directory of -v is
 * created (Docker's old -v behaviour, kept for -v only); --mount refuses it.
 */
import { isAbsolute, posix, resolve } from 'node:path'
import { UsageError } from '../../errors.js'
import { csvFields } from './csv-fields.js'
import { checkLocalOptions, checkVolumeDriver, parseOptionList } from './local-volume.js'
import { isMountFlagOption } from './mount-options.js'
import type { SpecMount } from './spec.js'

export interface VolumeFlags {
  /** -v/--volume HOST:CONTAINER[:OPTIONS], NAME:CONTAINER[:OPTIONS] or CONTAINER */
  volumes?: string[]
  /** --mount type=bind|volume|tmpfs,source=...,target=...,... */
  mounts?: string[]
  /** --tmpfs CONTAINER[:OPTIONS] */
  tmpfs?: string[]
  /** --volumes-from CONTAINER[:ro|rw]: read from the containers' states (container/volumes-from.ts) */
  volumesFrom?: string[]
}

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

/** What inspect and ps need of the mounts' flags, recorded in the container's state. */
export interface DockerMountRecord {
  /** Docker's MountPoint.Mode by container path where it is not "" ({} with every one ""); absent with no mounts. */
  mountModes?: Record<string, string>
  /** --tmpfs by container path, its options as given: Docker's HostConfig.Tmpfs. */
  tmpfs?: Record<string, string>
}

/**
 * The flags' mounts as Docker records them. Mode is -v's text after the
 * container path ("ro", "z", "ro,rshared"; "" without one), a local
 * volume's "z" when -v or --mount gave none (moby's setBindModeIfNull),
 * "" for --mount's binds and tmpfs and for anonymous volumes (the image's
 * VOLUME, -v /path: AddMountPointWithVolume). --tmpfs is no mount point
 * (inspect's Mounts, ps --filter volume=) but HostConfig.Tmpfs.
 */
export function dockerMountRecord(planned: readonly PlannedVolume[]): DockerMountRecord {
  const modes = planned.filter((p) => p.mode !== '' && p.tmpfsFlag === undefined).map((p) => [p.mount.destination, p.mode])
  const tmpfs = planned.filter((p) => p.tmpfsFlag !== undefined).map((p) => [p.mount.destination, p.tmpfsFlag!])
  return { ...(planned.length ? { mountModes: Object.fromEntries(modes) } : {}), ...(tmpfs.length ? { tmpfs: Object.fromEntries(tmpfs) } : {}) }
}

export interface VolumeRef {
  /** undefined: an anonymous volume, named when the container is made. */
  name?: string
  /** -v NAME:/p:nocopy, --mount volume-nocopy: never pre-populate it from the image. */
  nocopy: boolean
  /** --mount volume-opt=K=V: the local driver's options (local-volume.ts), used if the volume is made by this container. */
  options?: Record<string, string>
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
const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'])
// Docker's default for --tmpfs: noexec,nosuid,nodev (moby's DefaultTmpfsOptions idea)
const TMPFS_DEFAULTS = ['nosuid', 'noexec']
const VOLUME_MODES = new Set(['ro', 'rw', 'nocopy', 'z', 'Z'])
// tmpfs(5)'s own options, as moby's ParseTmpfsOptions accepts them
const TMPFS_DATA = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol', 'huge'])

/**
 * The mounts of these flags, sorted parents first, as Docker sorts them;
 * with `inherited` (--volumes-from's) where no flag mounts something at
 * the same path.
 */
export function volumesFromFlags(flags: VolumeFlags, cwd: string = process.cwd(), inherited: readonly PlannedVolume[] = []): PlannedVolume[] {
  const planned = [
    ...(flags.volumes ?? []).map((v) => parseVolume(v, cwd)),
    ...(flags.mounts ?? []).map((m) => parseMount(m, cwd)),
    ...(flags.tmpfs ?? []).map(parseTmpfs),
  ]
  const seen = new Set<string>()
  for (const { mount } of planned) {
    if (seen.has(mount.destination)) throw new UsageError(`duplicate mount point: ${mount.destination}`)
    seen.add(mount.destination)
  }
  return sortByDepth([...inherited.filter((p) => !seen.has(p.mount.destination)), ...planned])
}

function sortByDepth(planned: PlannedVolume[]): PlannedVolume[] {
  const depth = (p: string) => (p === '/' ? 0 : p.split('/').length)
  return planned.sort((a, b) => depth(a.mount.destination) - depth(b.mount.destination))
}

/**
 * The image's VOLUME paths as anonymous volumes, except where a flag mounts
 * something at that very path already (Docker: the flag's mount replaces
 * the image's volume).
 */
export function withImageVolumes(planned: PlannedVolume[], imagePaths: string[]): PlannedVolume[] {
  const taken = new Set(planned.map((p) => p.mount.destination))
  const added: PlannedVolume[] = []
  for (const path of imagePaths) {
    const destination = containerPath(path, `VOLUME ${path} of the image`)
    if (taken.has(destination)) continue
    taken.add(destination)
    added.push(volumeMount(destination, undefined, false, false, ''))
  }
  return added.length ? sortByDepth([...planned, ...added]) : planned
}

export function volumeMount(destination: string, name: string | undefined, readOnly: boolean, nocopy: boolean, mode: string, options?: Record<string, string>): PlannedVolume {
  return {
    mount: { destination, type: 'bind', source: '', options: bindOptions(readOnly, undefined) },
    volume: { ...(name !== undefined ? { name } : {}), nocopy, ...(options ? { options } : {}) },
    mode,
  }
}

function containerPath(path: string, flag: string): string {
  if (!path.startsWith('/')) throw new UsageError(`invalid ${flag}: the container path "${path}" is not absolute`)
  const normal = posix.normalize(path).replace(/(.)\/$/, '$1')
  if (normal === '/') throw new UsageError(`invalid ${flag}: cannot mount over the container's /`)
  if (RESERVED.has(normal)) throw new UsageError(`invalid ${flag}: ${normal} is mounted by mini-run for every container`)
  return normal
}

/** A host path: absolute, or relative to cwd when it starts with . or .. */
function hostPath(path: string, cwd: string): string | undefined {
  if (isAbsolute(path)) return posix.normalize(path)
  if (path === '.' || path === '..' || path.startsWith('./') || path.startsWith('../')) return resolve(cwd, path)
  return undefined
}

export function bindOptions(readOnly: boolean, propagation: string | undefined): string[] {
  return ['bind', readOnly ? 'ro' : 'rw', 'nodev', propagation ?? 'rprivate']
}

/** One container path, with or without modes: Docker's anonymous volume (moby's linux parser). */
function isAnonymousVolume(parts: readonly string[]): boolean {
  const modesOnly = (text: string) => text.split(',').every((m) => VOLUME_MODES.has(m))
  return parts.length === 1 || (parts.length === 2 && parts[0]!.startsWith('/') && modesOnly(parts[1]!))
}

/**
 * -v HOST:CONTAINER[:ro|rw|z|Z|<propagation>,...], -v NAME:CONTAINER[:ro|rw|nocopy|z|Z],
 * and -v CONTAINER[:ro|rw] (an anonymous volume)
 */
export function parseVolume(spec: string, cwd: string): PlannedVolume {
  const flag = `-v ${spec}`
  const parts = spec.split(':')
  if (parts.length > 3) throw new UsageError(`invalid ${flag}: expected HOST:CONTAINER[:OPTIONS]`)
  const anonymous = isAnonymousVolume(parts)
  const [src = '', dst = '', opts] = anonymous ? ['', parts[0], parts[1]] : parts
  const source = anonymous ? undefined : hostPath(src, cwd)
  if (!anonymous && source === undefined) checkVolumeName(src, `invalid ${flag}`)
  let readOnly = false
  let propagation: string | undefined
  let nocopy = false
  for (const opt of opts ? opts.split(',') : []) {
    if (opt === 'ro' || opt === 'rw') readOnly = opt === 'ro'
    else if (source !== undefined && PROPAGATIONS.has(opt)) propagation = opt
    else if (source === undefined && opt === 'nocopy') nocopy = true
    else if (opt === 'z' || opt === 'Z') continue // SELinux relabelling: no SELinux here
    else {
      const known = source !== undefined ? 'ro, rw, z, Z or a propagation mode' : 'ro, rw, nocopy, z or Z for a volume'
      throw new UsageError(`invalid ${flag}: unknown option "${opt}" (${known})`)
    }
  }
  const destination = containerPath(dst, flag)
  if (source === undefined) return volumeMount(destination, anonymous ? undefined : src, readOnly, nocopy, anonymous ? (opts ?? '') : opts || 'z')
  return {
    mount: { destination, type: 'bind', source, options: bindOptions(readOnly, propagation) },
    createSource: true,
    mode: opts ?? '',
  }
}

/**
 * Docker's HostConfig.Binds: the -v values that name a source (a host path
 * or a volume), as given; an anonymous volume (-v /path) is not one. A
 * relative host path is made absolute, as Docker's CLI does before it sends
 * them (cli/command/container/opts.go). Checked by parseVolume already.
 */
export function bindsAsGiven(volumes: readonly string[], cwd: string): string[] {
  return volumes
    .filter((spec) => !isAnonymousVolume(spec.split(':')))
    .map((spec) => {
      const colon = spec.indexOf(':')
      const src = spec.slice(0, colon)
      const source = hostPath(src, cwd)
      return source !== undefined && !isAbsolute(src) ? source + spec.slice(colon) : spec
    })
}

const TRUE_FALSE = ['true', '1', 'false', '0']

/**
 * --mount type=bind|volume|tmpfs,source=...,target=...,readonly,
 * bind-propagation=..., volume-nocopy, volume-driver=local,
 * volume-opt=K=V (repeatable), tmpfs-size=..., tmpfs-mode=...
 * (type=volume when no type is given, as in Docker; fields as CSV, so a
 * "quoted field" may hold commas: "volume-opt=o=size=10m,uid=1000")
 */
export function parseMount(spec: string, cwd: string): PlannedVolume {
  const flag = `--mount ${spec}`
  const fields = new Map<string, string | undefined>()
  const volumeOpts: string[] = []
  for (const field of csvFields(spec, flag)) {
    const eq = field.indexOf('=')
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase()
    const value = eq < 0 ? undefined : field.slice(eq + 1)
    const name = ({ src: 'source', dst: 'target', destination: 'target', ro: 'readonly' } as Record<string, string>)[key] ?? key
    if (name === 'volume-opt') {
      if (value === undefined) throw new UsageError(`invalid ${flag}: volume-opt needs KEY=VALUE`)
      volumeOpts.push(value)
      continue
    }
    if (fields.has(name)) throw new UsageError(`invalid ${flag}: "${name}" given twice`)
    fields.set(name, value)
  }
  if (volumeOpts.length) fields.set('volume-opt', undefined)
  const known = new Set(['type', 'source', 'target', 'readonly', 'bind-propagation', 'volume-nocopy', 'volume-driver', 'volume-opt', 'tmpfs-size', 'tmpfs-mode'])
  for (const key of fields.keys()) if (!known.has(key)) throw new UsageError(`invalid ${flag}: unknown field "${key}"`)
  const type = fields.get('type') ?? 'volume'
  const target = fields.get('target')
  if (!target) throw new UsageError(`invalid ${flag}: target is required`)
  const destination = containerPath(target, flag)
  const flagValue = (key: string): boolean => {
    const value = fields.get(key)
    if (value !== undefined && !TRUE_FALSE.includes(value)) throw new UsageError(`invalid ${flag}: ${key}=${value}`)
    return fields.has(key) && (value === undefined || value === 'true' || value === '1')
  }
  const readOnly = flagValue('readonly')
  for (const key of ['volume-nocopy', 'volume-driver', 'volume-opt']) {
    // docker/cli opts/mount.go's words
    if (type !== 'volume' && fields.has(key)) throw new UsageError(`invalid ${flag}: cannot mix 'volume-*' options with mount type '${type}'`)
  }
  if (type === 'volume') {
    const src = fields.get('source')
    if (src) checkVolumeName(src, `invalid ${flag}`)
    for (const key of ['bind-propagation', 'tmpfs-size', 'tmpfs-mode']) {
      if (fields.has(key)) throw new UsageError(`invalid ${flag}: ${key} is not for volumes`)
    }
    const driver = fields.get('volume-driver')
    if (fields.has('volume-driver')) checkVolumeDriver(driver ?? '', `invalid ${flag}`)
    const options = volumeOpts.length ? parseOptionList(volumeOpts, 'volume-opt') : undefined
    if (options) checkLocalOptions(options, `invalid ${flag}`)
    return volumeMount(destination, src || undefined, readOnly, flagValue('volume-nocopy'), 'z', options)
  }
  if (type === 'bind') {
    const src = fields.get('source')
    if (!src) throw new UsageError(`invalid ${flag}: source is required for a bind mount`)
    const source = hostPath(src, cwd)
    if (source === undefined) throw new UsageError(`invalid ${flag}: the source "${src}" is not a host path`)
    const propagation = fields.get('bind-propagation')
    if (propagation !== undefined && !PROPAGATIONS.has(propagation)) {
      throw new UsageError(`invalid ${flag}: bind-propagation=${propagation}`)
    }
    for (const key of ['tmpfs-size', 'tmpfs-mode']) if (fields.has(key)) throw new UsageError(`invalid ${flag}: ${key} is for tmpfs`)
    return { mount: { destination, type: 'bind', source, options: bindOptions(readOnly, propagation) }, mode: '' }
  }
  if (type === 'tmpfs') {
    if (fields.has('source')) throw new UsageError(`invalid ${flag}: a tmpfs has no source`)
    if (fields.has('bind-propagation')) throw new UsageError(`invalid ${flag}: bind-propagation is for bind mounts`)
    const options = [...TMPFS_DEFAULTS, readOnly ? 'ro' : 'rw']
    const size = fields.get('tmpfs-size')
    if (size !== undefined) {
      if (!/^\d+[kmg]?$/i.test(size)) throw new UsageError(`invalid ${flag}: tmpfs-size=${size}`)
      options.push(`size=${size.toLowerCase()}`)
    }
    const mode = fields.get('tmpfs-mode')
    if (mode !== undefined) {
      if (!/^[0-7]{1,4}$/.test(mode)) throw new UsageError(`invalid ${flag}: tmpfs-mode=${mode} (octal)`)
      options.push(`mode=${mode}`)
    }
    return { mount: { destination, type: 'tmpfs', source: 'tmpfs', options: [...options, 'nodev'] }, mode: '' }
  }
  throw new UsageError(`invalid ${flag}: type=${type} is not supported (bind, volume or tmpfs)`)
}

/** --tmpfs CONTAINER[:mount options] */
export function parseTmpfs(spec: string): PlannedVolume {
  const flag = `--tmpfs ${spec}`
  const colon = spec.indexOf(':')
  const destination = containerPath(colon < 0 ? spec : spec.slice(0, colon), flag)
  const given = colon < 0 ? [] : spec.slice(colon + 1).split(',').filter(Boolean)
  for (const opt of given) {
    const key = opt.split('=')[0]!
    const known = opt.includes('=') ? TMPFS_DATA.has(key) : isMountFlagOption(opt) && !['bind', 'rbind', 'remount', 'move'].includes(opt)
    // refused here, with the user's words: the kernel would only say EINVAL, on a path of the store
    if (!known || !/^[a-z_]+(=[\w.%:+-]+)?$/.test(opt)) throw new UsageError(`${flag}: invalid mount option "${opt}"`)
  }
  return { mount: { destination, type: 'tmpfs', source: 'tmpfs', options: [...TMPFS_DEFAULTS, ...given, 'nodev'] }, mode: '', tmpfsFlag: colon < 0 ? '' : spec.slice(colon + 1) }
}
