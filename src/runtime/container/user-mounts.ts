/**
 * The mounts of a container that are its user's: -v, --mount and the
 * image's VOLUMEs, what Docker lists as the container's mount points
 * (inspect's Mounts, ps's MOUNTS column, ps --filter volume=); not --tmpfs,
 * which Docker keeps in HostConfig.Tmpfs, apart from them. Its spec
 * holds more: the mounts every container gets (docker-defaults.ts: /proc,
 * /dev, /sys...), the host's /dev/shm of --ipc host, and the network's
 * /etc/hosts, resolv.conf and hostname, bound from files of the
 * container's own (plan-network.ts). Those are told by what made them: the
 * defaults by type, source and place, the network's files by the paths its
 * plan recorded. A volume is a bind of its _data directory, named by the
 * state's `volumes` record.
 */
import { defaultMounts, HOST_SHM_MOUNT } from '../spec/docker-defaults.js'
import type { SpecMount } from '../spec/spec.js'
import type { ContainerState } from './state.js'

export interface UserMount {
  type: 'volume' | 'bind' | 'tmpfs'
  /** A volume's name. */
  name?: string
  /** A bind's host path, a volume's _data directory; "" for a tmpfs, as in Docker. */
  source: string
  destination: string
  readOnly: boolean
  /** Docker's Mode: the state's record; a state made before it was recorded, "ro" or "". */
  mode: string
  /** A bind's propagation (rprivate unless given); "" for the others, as Docker says. */
  propagation: string
  /** A volume's --mount volume-subpath: only that path of it is mounted. */
  subpath?: string
}

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'])

// the options vary (privileged, gid 5); what each is and where does not. A
// user's tmpfs at /dev/shm has source "tmpfs", the default one "shm"; /dev,
// /proc, /sys and /dev/pts a user cannot mount over (volumes.ts)
const DEFAULTS = new Set(defaultMounts({ devptsGid5: true, cgroup2: true }).map((m) => `${m.type} ${m.source} ${m.destination}`))

function isHostShm(m: SpecMount): boolean {
  return m.type === 'bind' && m.source === HOST_SHM_MOUNT.source && m.destination === HOST_SHM_MOUNT.destination && m.options?.join() === HOST_SHM_MOUNT.options?.join()
}

/** The user's mounts of a container, in its spec's order (parents first). */
export function userMounts(c: Pick<ContainerState, 'spec' | 'volumes' | 'startInput' | 'mountModes' | 'tmpfs'>): UserMount[] {
  const networkFiles = new Set(Object.values(c.startInput?.network?.files ?? {}))
  const mounts: UserMount[] = []
  for (const m of c.spec?.mounts ?? []) {
    if (DEFAULTS.has(`${m.type} ${m.source} ${m.destination}`) || isHostShm(m)) continue
    if (m.type === 'bind' && m.source !== undefined && networkFiles.has(m.source)) continue
    const readOnly = m.options?.includes('ro') ?? false
    // a state made before modes were recorded has no record (nor --tmpfs told apart)
    const mode = c.mountModes ? (c.mountModes[m.destination] ?? '') : readOnly ? 'ro' : ''
    const volume = c.volumes?.find((v) => v.destination === m.destination)
    if (volume) {
      const subpath = c.startInput?.volumes?.volumes.find((v) => v.destination === m.destination)?.subpath
      mounts.push({ type: 'volume', name: volume.name, source: m.source ?? '', destination: m.destination, readOnly, mode, propagation: '', ...(subpath !== undefined ? { subpath } : {}) })
    }
    else if (m.type === 'bind') {
      const propagation = m.options?.find((o) => PROPAGATIONS.has(o)) ?? 'rprivate'
      mounts.push({ type: 'bind', source: m.source ?? '', destination: m.destination, readOnly, mode, propagation })
    } else if (m.type === 'tmpfs' && c.tmpfs?.[m.destination] === undefined) {
      mounts.push({ type: 'tmpfs', source: '', destination: m.destination, readOnly, mode, propagation: '' })
    }
  }
  return mounts
}
