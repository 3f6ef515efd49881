/**
 * A service's `volumes:`, short syntax (`data:/var/lib/db`, `./site:/www:ro`,
 * `/cache`) and long (`{type, source, target, read_only, bind, volume,
 * tmpfs}`), as mounts: host paths made absolute against the project
 * directory, volume names checked against the top-level `volumes:`.
 */
import { homedir } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { parseSize } from '../runtime/cgroup/cgroup-limits.js'
import { checkLocalOptions } from '../runtime/spec/local-volume.js'
import type { At } from './compose-error.js'
import type { ServiceVolume, VolumesFrom } from './model.js'
import { bool, int, isMap, str } from './values.js'

const IGNORED_MODES = new Set(['rw', 'z', 'Z', 'cached', 'delegated', 'consistent', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'])

export function serviceVolumes(v: unknown, at: At, projectDir: string, declared: ReadonlySet<string>): ServiceVolume[] {
  if (!Array.isArray(v)) return []
  const out = v.map((item, i) => {
    const here = at.at(i)
    const mount = isMap(item) ? longVolume(item, here, projectDir) : shortVolume(str(item, here), here, projectDir)
    if (mount.type === 'volume' && mount.source !== undefined && !declared.has(mount.source)) {
      throw here.error(`refers to undefined volume ${mount.source}: declare it under the top-level volumes`)
    }
    if (!mount.target.startsWith('/')) throw here.error(`the container path "${mount.target}" is not absolute`)
    return mount
  })
  const seen = new Set<string>()
  out.forEach((m, i) => {
    if (seen.has(m.target)) throw at.at(i).error(`duplicate mount point ${m.target}`)
    seen.add(m.target)
  })
  return out
}

/** A host path of the file: `~` the home directory, a relative one against the project directory. */
export function hostPath(source: string, projectDir: string): string {
  if (source === '~' || source.startsWith('~/')) return resolve(homedir(), source.slice(2))
  return isAbsolute(source) ? resolve(source) : resolve(projectDir, source)
}

const isPath = (s: string) => s.startsWith('.') || s.startsWith('/') || s.startsWith('~')

function shortVolume(spec: string, at: At, projectDir: string): ServiceVolume {
  const parts = spec.split(':')
  if (parts.length === 1) return { type: 'volume', target: parts[0]!, readOnly: false }
  if (parts.length > 3) throw at.error(`invalid volume "${spec}": SOURCE:TARGET[:MODE]`)
  const [source, target, modes = ''] = parts as [string, string, string?]
  if (source === '') throw at.error(`invalid volume "${spec}": the source is empty`)
  let readOnly = false
  let nocopy = false
  for (const mode of modes ? modes.split(',') : []) {
    if (mode === 'ro') readOnly = true
    else if (mode === 'nocopy') nocopy = true
    else if (!IGNORED_MODES.has(mode)) throw at.error(`invalid volume "${spec}": unknown mode "${mode}"`)
  }
  if (isPath(source)) return { type: 'bind', source: hostPath(source, projectDir), target, readOnly, createHostPath: true }
  return { type: 'volume', source, target, readOnly, ...(nocopy ? { nocopy } : {}) }
}

function longVolume(m: Record<string, unknown>, at: At, projectDir: string): ServiceVolume {
  const type = str(m.type, at.at('type'))
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw at.at('type').error(`volumes of type ${type} are not supported by mini-run (bind, volume, tmpfs)`)
  if (m.target === undefined) throw at.error('a volume needs a target')
  const target = str(m.target, at.at('target'))
  const readOnly = m.read_only === undefined ? false : bool(m.read_only, at.at('read_only'))
  const source = m.source === undefined ? undefined : str(m.source, at.at('source'))
  if (m.consistency !== undefined) void m.consistency // macOS file sharing: nothing to do here
  if (type === 'bind') {
    if (!source) throw at.error('a bind mount needs a source')
    const bind = isMap(m.bind) ? m.bind : {}
    for (const key of Object.keys(bind)) {
      if (!['create_host_path', 'propagation', 'selinux'].includes(key) && !key.startsWith('x-')) throw at.at('bind', key).error('not supported by mini-run')
    }
    const create = bind.create_host_path === undefined ? false : bool(bind.create_host_path, at.at('bind', 'create_host_path'))
    return { type, source: hostPath(source, projectDir), target, readOnly, createHostPath: create }
  }
  if (type === 'volume') {
    const volume = isMap(m.volume) ? m.volume : {}
    for (const key of Object.keys(volume)) {
      if (key !== 'nocopy' && !key.startsWith('x-')) throw at.at('volume', key).error('not supported by mini-run')
    }
    const nocopy = volume.nocopy === undefined ? false : bool(volume.nocopy, at.at('volume', 'nocopy'))
    return { type, ...(source ? { source } : {}), target, readOnly, ...(nocopy ? { nocopy } : {}) }
  }
  if (source) throw at.at('source').error('a tmpfs has no source')
  const tmpfs = isMap(m.tmpfs) ? m.tmpfs : {}
  for (const key of Object.keys(tmpfs)) {
    if (key !== 'size' && !key.startsWith('x-')) throw at.at('tmpfs', key).error('not supported by mini-run')
  }
  let size: number | undefined
  if (tmpfs.size !== undefined) {
    try {
      size = typeof tmpfs.size === 'number' ? int(tmpfs.size, at.at('tmpfs', 'size')) : parseSize(str(tmpfs.size, at.at('tmpfs', 'size')), 'size')
    } catch (err) {
      throw at.at('tmpfs', 'size').error((err as Error).message, err)
    }
  }
  return { type, target, readOnly, ...(size !== undefined ? { size } : {}) }
}

/**
 * A service's `volumes_from:` (Compose Specification): `service[:ro|rw]`
 * or `container:name[:ro|rw]`. A service's container is its first one;
 * load.ts names it and makes the service a dependency, as compose-go does.
 */
export function serviceVolumesFrom(v: unknown, at: At): VolumesFrom[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw at.error('must be a list')
  return v.map((item, i) => {
    const here = at.at(i)
    const text = str(item, here)
    const container = text.startsWith('container:')
    const [name = '', mode, ...rest] = (container ? text.slice('container:'.length) : text).split(':')
    if (name === '' || rest.length || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
      throw here.error(`"${text}" is not service[:ro|rw] or container:name[:ro|rw]`)
    }
    return { ...(container ? { container: name } : { service: name }), readOnly: mode === 'ro' }
  })
}

/**
 * A top-level volume's driver_opts, checked as the local driver checks
 * them. A relative device of a bind (o: bind) is made absolute against the
 * project directory, as compose-go does (compose-spec/compose-go#332);
 * the engine would take it as given, relative to nothing.
 */
export function volumeDriverOpts(v: unknown, projectDir: string, at: At): Record<string, string> {
  if (!isMap(v)) throw at.error('must be a mapping')
  const opts: Record<string, string> = {}
  for (const [key, value] of Object.entries(v)) {
    if (typeof value !== 'string' && typeof value !== 'number') throw at.at(key).error('must be a string or a number')
    opts[key] = String(value)
  }
  const bind = (opts.o ?? '').split(',').some((o) => o === 'bind' || o === 'rbind')
  if (bind && opts.device !== undefined) opts.device = hostPath(opts.device, projectDir)
  try {
    checkLocalOptions(opts, 'driver_opts')
  } catch (err) {
    throw at.error((err as Error).message.replace(/^driver_opts: /, ''), err)
  }
  return opts
}
