/**
 * The cgroup v2 subtree a rootless user may manage (Documentation/
 * admin-guide/cgroup-v2.rst, "Delegation").
 *
 * A subtree is delegated by giving the user its directory and its
 * cgroup.procs, cgroup.subtree_control and cgroup.threads files: systemd
 * does so for user@UID.service, the user's service manager, and the
 * processes of a session started through it (systemd-run --user) live
 * below. Moving a process between cgroups, which clone3's
 * CLONE_INTO_CGROUP does, also takes write access to cgroup.procs of the
 * common ancestor of the two (cgroup_attach_permissions()): a container
 * can go into a delegated subtree only from a process already inside it.
 * So the subtree is found from this process's own cgroup, walking up while
 * the user owns the cgroup and its cgroup.procs; the topmost such is the
 * delegation. A login through su or ssh lands in a session scope that root
 * owns: nothing is delegated there, and rootless containers get no cgroup.
 */
import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'

export type Delegation = { path: string } | { why: string }

function ownerOf(path: string): number | undefined {
  try {
    return statSync(path).uid
  } catch {
    return undefined
  }
}

/** This process's cgroup v2 path ("0::/user.slice/..."), relative to the root of the hierarchy it sees. */
export function ownCgroup(procSelfCgroup: string): string | undefined {
  const line = procSelfCgroup.split('\n').find((l) => l.startsWith('0::'))
  const path = line?.slice(3).trim()
  // "/.." when the cgroup namespace's root is below this process's cgroup
  return path && path.startsWith('/') && !path.startsWith('/..') ? path : undefined
}

export function delegatedSubtree(
  mount: string,
  uid = process.getuid?.() ?? 0,
  procSelfCgroup = readFileSync('/proc/self/cgroup', 'utf8'),
): Delegation {
  const own = ownCgroup(procSelfCgroup)
  if (own === undefined) return { why: 'this process is in no cgroup v2 cgroup it can see' }
  let top: string | undefined
  for (let dir = join(mount, own); dir === mount || dir.startsWith(mount + '/'); dir = dirname(dir)) {
    if (ownerOf(dir) !== uid || ownerOf(join(dir, 'cgroup.procs')) !== uid) break
    top = dir
    if (dir === mount) break
  }
  if (top) return { path: top }
  const who = (owner: number | undefined) => (owner === 0 ? 'root' : `uid ${owner}`)
  const dirOwner = ownerOf(join(mount, own))
  const what = dirOwner === uid ? `is yours, but its cgroup.procs belongs to ${who(ownerOf(join(mount, own, 'cgroup.procs')))}` : `belongs to ${who(dirOwner)}`
  return {
    why: `no cgroup v2 subtree is delegated to you: your cgroup ${own} ${what}`
      + ` (systemd delegates user@${uid}.service; start mini-run under it, e.g. systemd-run --user --scope)`,
  }
}
