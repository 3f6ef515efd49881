/**
 * Docker's `--user` / image `User` resolution against the image's own
 * /etc/passwd and /etc/group (never the host's): `name`, `uid`, `uid:gid`,
 * `name:group`. Pure: the caller reads the files from the rootfs.
 */
import { UsageError } from '../../errors.js'

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

/**
 * A line whose id is not one: never an entry anyone can run as, and an
 * error (`error`, naming the file and line) when the run asks for its name.
 */
export interface InvalidLine {
  name: string
  /** The group line's members, so that a user it lists learns of it too. */
  members?: string[]
  error: string
}

export type PasswdLine = PasswdEntry | InvalidLine
export type GroupLine = GroupEntry | InvalidLine

export interface ResolvedUser {
  uid: number
  gid: number
  additionalGids: number[]
  home: string
}

/**
 * A uid or gid as the files must spell it: decimal digits only, at most
 * 4294967294. (uid_t)-1 is no id: setresuid(-1, -1, -1) changes nothing,
 * so a user 4294967295 would run as root (setresuid(2), "-1 means
 * unchanged"). Number() would also take "0x0", "1e3", " 1" and "" (as 0).
 */
export function parseFileId(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined
  const n = Number(text)
  return n <= 0xfffffffe ? n : undefined
}

const isEntry = <T extends object>(line: T | InvalidLine): line is T => !('error' in line)

export function parsePasswd(text: string, file = '/etc/passwd'): PasswdLine[] {
  const entries: PasswdLine[] = []
  for (const [i, line] of text.split('\n').entries()) {
    if (!line || line.startsWith('#')) continue
    const [name = '', , uid = '', gid = '', , home] = line.split(':')
    const u = parseFileId(uid)
    const g = parseFileId(gid)
    if (u === undefined || g === undefined) {
      const [what, value] = u === undefined ? ['uid', uid] : ['gid', gid]
      entries.push({ name, error: `${file} line ${i + 1}: invalid ${what} ${JSON.stringify(value)} for user ${name}` })
      continue
    }
    entries.push({ name, uid: u, gid: g, home: home || '/' })
  }
  return entries
}

export function parseGroup(text: string, file = '/etc/group'): GroupLine[] {
  const entries: GroupLine[] = []
  for (const [i, line] of text.split('\n').entries()) {
    if (!line || line.startsWith('#')) continue
    const [name = '', , gid = '', list] = line.split(':')
    const members = list ? list.split(',').filter(Boolean) : []
    const g = parseFileId(gid)
    if (g === undefined) {
      entries.push({ name, members, error: `${file} line ${i + 1}: invalid gid ${JSON.stringify(gid)} for group ${name}` })
      continue
    }
    entries.push({ name, gid: g, members })
  }
  return entries
}

/** The first line for this name, as getpwnam(3) takes it; a bad line is an error, not a miss. */
function byName<T extends { name: string }>(lines: readonly (T | InvalidLine)[], name: string): T | undefined {
  const line = lines.find((l) => l.name === name)
  if (line && !isEntry(line)) throw new UsageError(line.error)
  return line
}

const ID = /^\d+$/

function parseId(text: string, what: string): number {
  const n = parseFileId(text)
  if (n === undefined) throw new UsageError(`invalid ${what} id: ${text}`)
  return n
}

/** --group-add: a group name (in the image's /etc/group) or a number. */
export function resolveGroup(spec: string, groups: readonly GroupLine[]): number {
  if (ID.test(spec)) return parseId(spec, 'group')
  const group = byName(groups, spec)
  if (!group) throw new UsageError(`unable to find group ${spec}: no matching entries in group file`)
  return group.gid
}

/** USER[:GROUP]'s parts, a numeric id checked: what is known of a user spec without the image's files. */
export function userSpecParts(spec: string): { user: string; group?: string } {
  const [user = '', group] = spec.split(':', 2)
  if (ID.test(user)) parseId(user, 'user')
  if (group !== undefined && ID.test(group)) parseId(group, 'group')
  return group === undefined ? { user } : { user, group }
}

/**
 * Resolve a user spec ("" means root). Like runc's GetExecUser: a numeric uid
 * absent from passwd is allowed (gid 0, home "/"); a name must exist.
 */
export function resolveUser(spec: string, passwd: readonly PasswdLine[], groups: readonly GroupLine[]): ResolvedUser {
  const { user: userPart, group: groupPart } = userSpecParts(spec)
  const entries = passwd.filter(isEntry)
  let user: PasswdEntry | undefined
  let uid: number
  if (userPart === '') {
    user = entries.find((p) => p.uid === 0)
    uid = 0
  } else if (ID.test(userPart)) {
    uid = parseId(userPart, 'user')
    user = entries.find((p) => p.uid === uid)
  } else {
    user = byName(passwd, userPart)
    if (!user) throw new UsageError(`unable to find user ${userPart}: no matching entries in passwd file`)
    uid = user.uid
  }
  let gid = user?.gid ?? 0
  if (groupPart !== undefined && groupPart !== '') gid = resolveGroup(groupPart, groups)
  // Supplementary groups: the primary one, as Docker's and containerd's since
  // CVE-2022-36109 and CVE-2023-25173 (a file readable by the group stays
  // readable after the process changes its gid), then those listing the user
  // by name (a bad line that lists the user is an error, not a group
  // silently missing). An explicit group in the spec replaces the latter, as
  // in Docker.
  const additionalGids: number[] = [gid]
  if (user && groupPart === undefined) {
    for (const g of groups) {
      if (!g.members?.includes(user.name)) continue
      if (!isEntry(g)) throw new UsageError(g.error)
      if (g.gid !== gid && !additionalGids.includes(g.gid)) additionalGids.push(g.gid)
    }
  }
  return { uid, gid, additionalGids, home: user?.home ?? '/' }
}
