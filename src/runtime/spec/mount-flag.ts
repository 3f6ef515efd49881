/**
 * Docker's --mount as a planned mount (pure): its CSV fields, the checks
 * and words of docker/cli's opts/mount.go and moby's mount parser.
 */
import { UsageError } from '../../errors.js'
import { csvFields } from './csv-fields.js'
import { checkLocalOptions, checkVolumeDriver, parseOptionList } from './local-volume.js'
import { bindOptions, checkVolumeName, containerPath, hostPath, PROPAGATIONS, TMPFS_DEFAULTS, volumeMount, type PlannedVolume } from './planned-volume.js'

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
