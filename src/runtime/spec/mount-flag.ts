/**
 * Docker's --mount as a planned mount (pure): its CSV fields, the checks
 * and words of docker/cli's opts/mount.go and moby's mount parser.
 */
import { posix } from 'node:path'
import { UsageError } from '../../errors.js'
import { csvFields } from './csv-fields.js'
import { checkLocalOptions, checkVolumeDriver, parseOptionList } from './local-volume.js'
import { bindOptions, checkVolumeName, containerPath, hostPath, PROPAGATIONS, TMPFS_DEFAULTS, volumeMount, type PlannedVolume } from './planned-volume.js'

const TRUE_FALSE = ['true', '1', 'false', '0']
const VOLUME_FIELDS = ['volume-nocopy', 'volume-driver', 'volume-opt', 'volume-label', 'volume-subpath']

/**
 * volume-subpath, as moby checks it when the container is created: a path
 * that stays in the volume by its words alone (Go's filepath.IsLocal), of
 * a named volume. What it resolves to, symlinks included, is checked at
 * each start, by the kernel (plan-rootfs.ts, native op_bind_beneath).
 * Undefined for none or the volume's root.
 */
function volumeSubpath(given: string | undefined, source: string | undefined, flag: string): string | undefined {
  if (given === undefined || given === '') return undefined
  // moby's words (volume/mounts/parser.go)
  if (!source) throw new UsageError(`invalid ${flag}: must not set Subpath when using anonymous volumes`)
  const normal = posix.normalize(given).replace(/\/+$/, '')
  if (given.startsWith('/') || normal === '..' || normal.startsWith('../') || given.includes('\0')) {
    throw new UsageError(`invalid ${flag}: subpath must be a relative path within the volume`)
  }
  return normal === '.' ? undefined : normal
}

/** volume-label values, KEY=VALUE or KEY (an empty value), as docker/cli's setValueOnMap reads them. */
function labelsOf(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const v of values) {
    const eq = v.indexOf('=')
    const key = eq < 0 ? v : v.slice(0, eq)
    if (key !== '') labels[key] = eq < 0 ? '' : v.slice(eq + 1)
  }
  return labels
}

/**
 * --mount type=bind|volume|tmpfs,source=...,target=...,readonly,
 * bind-propagation=..., volume-nocopy, volume-driver=local,
 * volume-opt=K=V and volume-label=K=V (repeatable), volume-subpath=...,
 * tmpfs-size=..., tmpfs-mode=...
 * (type=volume when no type is given, as in Docker; fields as CSV, so a
 * "quoted field" may hold commas: "volume-opt=o=size=10m,uid=1000")
 */
export function parseMount(spec: string, cwd: string): PlannedVolume {
  const flag = `--mount ${spec}`
  const fields = new Map<string, string | undefined>()
  const volumeOpts: string[] = []
  const volumeLabels: string[] = []
  for (const field of csvFields(spec, flag)) {
    const eq = field.indexOf('=')
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase()
    const value = eq < 0 ? undefined : field.slice(eq + 1)
    const name = ({ src: 'source', dst: 'target', destination: 'target', ro: 'readonly' } as Record<string, string>)[key] ?? key
    if (name === 'volume-opt' || name === 'volume-label') {
      if (value === undefined) throw new UsageError(`invalid ${flag}: ${name} needs KEY=VALUE`)
      ;(name === 'volume-opt' ? volumeOpts : volumeLabels).push(value)
      continue
    }
    if (fields.has(name)) throw new UsageError(`invalid ${flag}: "${name}" given twice`)
    fields.set(name, value)
  }
  if (volumeOpts.length) fields.set('volume-opt', undefined)
  if (volumeLabels.length) fields.set('volume-label', undefined)
  const known = new Set(['type', 'source', 'target', 'readonly', 'bind-propagation', 'tmpfs-size', 'tmpfs-mode', ...VOLUME_FIELDS])
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
  for (const key of VOLUME_FIELDS) {
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
    const subpath = volumeSubpath(fields.get('volume-subpath'), src, flag)
    const labels = volumeLabels.length ? labelsOf(volumeLabels) : undefined
    return volumeMount(destination, src || undefined, readOnly, flagValue('volume-nocopy'), 'z', { ...(options && { options }), ...(labels && { labels }), ...(subpath && { subpath }) })
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
