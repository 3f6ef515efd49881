/**
 * Which ids a rootless container has, as podman decides it.
 *
 * An unprivileged user may write only one line to a user namespace's maps,
 * and it may name only their own uid (user_namespaces(7)): a container with
 * one id, the user's, as root. Images have files of other owners (www-data
 * is 33, an app user 1000), and `-u 1000` needs 1000 to exist. So the
 * administrator grants each user a range of subordinate ids in /etc/subuid
 * and /etc/subgid (Debian's useradd writes 65536 of them, from 100000 up),
 * and two setuid-root helpers of the shadow suite, newuidmap and newgidmap
 * (Debian's package uidmap), write maps that use them after checking those
 * files (newuidmap(1), subuid(5)).
 *
 * The container then maps, as podman does: 0 -> the user, 1..N -> the first
 * range (N at most 65536). Without a range, or without the helpers, it keeps
 * the single id, and the caller says so once.
 */
import { accessSync, constants, readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { delimiter, join } from 'node:path'
import type { IdMapping } from '../runtime/spec/spec.js'

export interface IdRange {
  start: number
  size: number
}

/** How many ids a container gets above root: as podman, 65536 (the range useradd gives). */
export const CONTAINER_IDS = 65536

/** The ranges of /etc/subuid or /etc/subgid text: [user name or uid, range], in file order. */
export function parseSubIds(text: string): [string, IdRange][] {
  const out: [string, IdRange][] = []
  for (const line of text.split('\n')) {
    const [user, start, count] = line.trim().split(':')
    if (!user || user.startsWith('#') || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(count ?? '')) continue
    if (Number(count) > 0) out.push([user, { start: Number(start), size: Number(count) }])
  }
  return out
}

/** The id maps of a rootless container, with what wrote them. */
export type RootlessIds =
  | {
      kind: 'subordinate'
      uid: IdMapping[]
      gid: IdMapping[]
      /** Paths of the setuid helpers that write such maps. */
      newuidmap: string
      newgidmap: string
    }
  | {
      kind: 'single'
      uid: IdMapping[]
      gid: IdMapping[]
      /** Why there are no subordinate ids, for the one warning. */
      why: string
    }

export interface WhoAmI {
  /** The login name, undefined when the uid has no passwd entry. */
  name: string | undefined
  uid: number
  gid: number
}

export interface HostFiles {
  subuid: string
  subgid: string
  /** Where newuidmap and newgidmap are, undefined when missing. */
  newuidmap: string | undefined
  newgidmap: string | undefined
}

/** The first range of the user's in a sub[ug]id file (by name, or by uid as shadow also allows). */
function firstRange(text: string, who: WhoAmI): IdRange | undefined {
  return parseSubIds(text).find(([user]) => user === who.name || user === String(who.uid))?.[1]
}

/** The maps for `who` from the files' text (pure). */
export function rootlessIds(who: WhoAmI, files: HostFiles): RootlessIds {
  const own = { uid: [{ containerID: 0, hostID: who.uid, size: 1 }], gid: [{ containerID: 0, hostID: who.gid, size: 1 }] }
  const name = who.name ?? `uid ${who.uid}`
  const uids = firstRange(files.subuid, who)
  const gids = firstRange(files.subgid, who)
  if (!uids || !gids) {
    const file = !uids ? '/etc/subuid' : '/etc/subgid'
    return { kind: 'single', ...own, why: `no subordinate ids for ${name} in ${file}` }
  }
  if (!files.newuidmap || !files.newgidmap) {
    return { kind: 'single', ...own, why: `${name} has subordinate ids, but newuidmap and newgidmap are not installed (Debian: apt-get install uidmap)` }
  }
  return {
    kind: 'subordinate',
    uid: [own.uid[0]!, { containerID: 1, hostID: uids.start, size: Math.min(uids.size, CONTAINER_IDS) }],
    gid: [own.gid[0]!, { containerID: 1, hostID: gids.start, size: Math.min(gids.size, CONTAINER_IDS) }],
    newuidmap: files.newuidmap,
    newgidmap: files.newgidmap,
  }
}

/** An executable on PATH or in the usual places (setuid helpers live in /usr/bin). */
export function findProgram(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter).filter((d) => d.startsWith('/')), '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    try {
      accessSync(join(dir, name), constants.X_OK)
      return join(dir, name)
    } catch {
      // not here
    }
  }
  return undefined
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

let current: RootlessIds | undefined

/** This process's rootless maps (read once per process). */
export function currentRootlessIds(): RootlessIds {
  if (current) return current
  let name: string | undefined
  try {
    name = userInfo().username
  } catch {
    // a uid without a passwd entry: ranges can name it by number only
  }
  current = rootlessIds(
    { name, uid: process.getuid!(), gid: process.getgid!() },
    { subuid: readOrEmpty('/etc/subuid'), subgid: readOrEmpty('/etc/subgid'), newuidmap: findProgram('newuidmap'), newgidmap: findProgram('newgidmap') },
  )
  return current
}

/** The user's subordinate maps when this process is rootless and has them: what runs as root of their namespace uses them. */
export function ownSubordinateIds(): Extract<RootlessIds, { kind: 'subordinate' }> | undefined {
  if (process.getuid?.() === 0) return undefined
  const ids = currentRootlessIds()
  return ids.kind === 'subordinate' ? ids : undefined
}

/** Whether a container id has a host id under these maps. */
export function isMapped(maps: readonly IdMapping[], id: number): boolean {
  return maps.some((m) => id >= m.containerID && id < m.containerID + m.size)
}

/** The same maps, compared line by line. */
export function sameMaps(a: readonly IdMapping[], b: readonly IdMapping[]): boolean {
  return a.length === b.length && a.every((m, i) => m.containerID === b[i]!.containerID && m.hostID === b[i]!.hostID && m.size === b[i]!.size)
}
