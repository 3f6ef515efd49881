/**
 * Docker's -v/--volume, --mount (mount-flag.ts) and --tmpfs as OCI mounts (pure).
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
import { isAbsolute } from 'node:path'
import { UsageError } from '../../errors.js'
import { parseMount } from './mount-flag.js'
import { isMountFlagOption } from './mount-options.js'
import { bindOptions, checkVolumeName, containerPath, hostPath, PROPAGATIONS, TMPFS_DEFAULTS, volumeMount, type PlannedVolume } from './planned-volume.js'

export { parseMount } from './mount-flag.js'
export { bindOptions, checkVolumeName, volumeMount, VOLUME_NAME, type PlannedVolume, type VolumeRef } from './planned-volume.js'

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
