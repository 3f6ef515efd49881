/**
 * Docker's `--user` / image `User` resolution against the image's own
 * /etc/passwd and /etc/group (never the host's): `name`, `uid`, `uid:gid`,
 * `name:group`. Pure: the caller reads the files from the rootfs.
 */
import { UsageError } from '../errors.js'

export interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
}

export interface GroupEntry {
  name: string
  gid: number
  members: string[]
}

export interface ResolvedUser {
  uid: number
  gid: number
  additionalGids: number[]
  home: string
}

export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const [name, , uid, gid, , home] = line.split(':')
    if (name === undefined || uid === undefined || gid === undefined) continue
    const u = Number(uid)
    const g = Number(gid)
    if (!Number.isInteger(u) || !Number.isInteger(g)) continue
    entries.push({ name, uid: u, gid: g, home: home || '/' })
  }
  return entries
}

export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const [name, , gid, members] = line.split(':')
    if (name === undefined || gid === undefined) continue
    const g = Number(gid)
    if (!Number.isInteger(g)) continue
    entries.push({ name, gid: g, members: members ? members.split(',').filter(Boolean) : [] })
  }
  return entries
}

const ID = /^\d+$/

function parseId(text: string, what: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xfffffffe) throw new UsageError(`invalid ${what} id: ${text}`)
  return n
}

/**
 * Resolve a user spec ("" means root). Like runc's GetExecUser: a numeric uid
 * absent from passwd is allowed (gid 0, home "/"); a name must exist.
 */
/** --group-add: a group name (in the image's /etc/group) or a number. */
export function resolveGroup(spec: string, groups: GroupEntry[]): number {
  if (ID.test(spec)) return parseId(spec, 'group')
  const group = groups.find((g) => g.name === spec)
  if (!group) throw new UsageError(`unable to find group ${spec}: no matching entries in group file`)
  return group.gid
}

export function resolveUser(spec: string, passwd: PasswdEntry[], groups: GroupEntry[]): ResolvedUser {
  const [userPart = '', groupPart] = spec.split(':', 2)
  let user: PasswdEntry | undefined
  let uid: number
  if (userPart === '') {
    user = passwd.find((p) => p.uid === 0)
    uid = 0
  } else if (ID.test(userPart)) {
    uid = parseId(userPart, 'user')
    user = passwd.find((p) => p.uid === uid)
  } else {
    user = passwd.find((p) => p.name === userPart)
    if (!user) throw new UsageError(`unable to find user ${userPart}: no matching entries in passwd file`)
    uid = user.uid
  }
  let gid = user?.gid ?? 0
  if (groupPart !== undefined && groupPart !== '') {
    if (ID.test(groupPart)) gid = parseId(groupPart, 'group')
    else {
      const group = groups.find((g) => g.name === groupPart)
      if (!group) throw new UsageError(`unable to find group ${groupPart}: no matching entries in group file`)
      gid = group.gid
    }
  }
  // Supplementary groups: those listing the user by name. An explicit group
  // in the spec replaces them, as in Docker.
  const additionalGids =
    user && groupPart === undefined
      ? [...new Set(groups.filter((g) => g.members.includes(user.name)).map((g) => g.gid))].filter((g) => g !== gid)
      : []
  return { uid, gid, additionalGids, home: user?.home ?? '/' }
}
