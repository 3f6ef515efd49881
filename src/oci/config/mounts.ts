/**
 * config.json's `mounts` (config.md "Mounts"), with the options runc
 * accepts: the mount(2) flags and propagation of mount-options.ts, anything
 * else passed to the filesystem as data ("mode=755"), and OCI 1.2's idmap.
 */
import type { IdMapping, SpecMount } from '../../runtime/spec/spec.js'
import { absolutePath, array, ConfigError, integer, object, optArray, optString, optStringArray, unsupported } from './fields.js'

/**
 * mount_setattr(2)'s recursive flags (runc 1.1.5+: "rro", "rnosuid"...),
 * which mini-run does not apply to every submount.
 */
const RECURSIVE_ATTRS = new Set([
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime', 'rrelatime',
  'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow',
])

export function readIdMappings(v: unknown, where: string): IdMapping[] {
  return array(v, where).map((m, i) => {
    const o = object(m, `${where}[${i}]`)
    return {
      containerID: integer(o.containerID, `${where}[${i}].containerID`, 0, 2 ** 32 - 1),
      hostID: integer(o.hostID, `${where}[${i}].hostID`, 0, 2 ** 32 - 1),
      size: integer(o.size, `${where}[${i}].size`, 1, 2 ** 32 - 1),
    }
  })
}

/** `userns`: the container's own id maps, which an idmap mount without maps of its own uses. */
export function readMounts(v: unknown, userns: { uid: IdMapping[]; gid: IdMapping[] } | undefined): SpecMount[] {
  return (optArray(v, 'mounts') ?? []).map((m, i) => readMount(m, `mounts[${i}]`, userns))
}

function readMount(v: unknown, where: string, userns: { uid: IdMapping[]; gid: IdMapping[] } | undefined): SpecMount {
  const m = object(v, where)
  const destination = absolutePath(m.destination, `${where}.destination`)
  const type = optString(m.type, `${where}.type`)
  const source = optString(m.source, `${where}.source`)
  const options = optStringArray(m.options, `${where}.options`) ?? []
  const mount: SpecMount = { destination, ...(type ? { type } : {}), ...(source !== undefined ? { source } : {}), options: [] }
  const bind = type === 'bind' || options.includes('bind') || options.includes('rbind')
  let idmap = false
  options.forEach((o, j) => {
    if (RECURSIVE_ATTRS.has(o)) unsupported(`${where}.options[${j}]`, `the recursive mount attribute "${o}"`)
    if (o === 'tmpcopyup') unsupported(`${where}.options[${j}]`, '"tmpcopyup" (copying the image\'s files into a tmpfs)')
    if (o === 'idmap' || o === 'ridmap') {
      idmap = true
      return
    }
    mount.options!.push(o)
  })
  if (bind && !source) throw new ConfigError(`${where}.source`, 'a bind mount needs a source')
  if (bind && !source!.startsWith('/')) throw new ConfigError(`${where}.source`, `${JSON.stringify(source)}: a bind mount's source must be an absolute path`)
  const uid = m.uidMappings === undefined || m.uidMappings === null ? undefined : readIdMappings(m.uidMappings, `${where}.uidMappings`)
  const gid = m.gidMappings === undefined || m.gidMappings === null ? undefined : readIdMappings(m.gidMappings, `${where}.gidMappings`)
  if ((uid || gid) && !idmap) throw new ConfigError(where, 'uidMappings and gidMappings need the "idmap" or "ridmap" option')
  if (idmap) {
    if (!bind) throw new ConfigError(where, 'an idmapped mount must be a bind mount')
    const maps = uid && gid ? { uid, gid } : userns
    if (!maps) throw new ConfigError(where, 'an idmapped mount needs uidMappings and gidMappings, or a user namespace whose maps it takes')
    mount.uidMappings = maps.uid
    mount.gidMappings = maps.gid
  }
  return mount
}
