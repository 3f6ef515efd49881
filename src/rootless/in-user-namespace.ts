/**
 * Run a program as root of a user namespace with the container's maps: how
 * a rootless store writes and deletes files that belong to subordinate ids.
 *
 * The user may chown a file only to their own ids; a file of their
 * subordinate uid 100032 (the image's www-data) they can neither make nor,
 * in a directory of that id, delete. Root of a user namespace that maps
 * those ids can (CAP_CHOWN, CAP_DAC_OVERRIDE and CAP_FOWNER hold there for
 * inodes whose owners it maps: capable_wrt_inode_uidgid()). podman does the
 * same (`podman unshare`, and its storage driver unpacks in its namespace).
 *
 * Node cannot make the namespace itself: unshare(CLONE_NEWUSER) fails in a
 * multithreaded process (unshare(2), EINVAL). util-linux's unshare(1) can
 * (2.38, Debian 12): with --map-root-user and --map-users it unshares, and
 * a child of its own runs newuidmap and newgidmap on it before the program
 * starts, so the maps are the ones /etc/subuid grants, checked by them.
 */
import { spawnSync } from 'node:child_process'
import { MiniRunError } from '../errors.js'
import type { RootlessIds } from './subordinate-ids.js'

type Subordinate = Extract<RootlessIds, { kind: 'subordinate' }>

/** unshare(1)'s argv that runs argv as root of a namespace with ids' maps (0 -> the user, 1..N -> the range). */
export function inUserNamespace(ids: Subordinate, argv: string[]): string[] {
  const range = (maps: Subordinate['uid']) => {
    const m = maps.find((e) => e.containerID === 1)
    if (!m || !maps.some((e) => e.containerID === 0 && e.size === 1)) throw new TypeError('rootless maps are 0 -> the user, 1..N -> a range')
    return `${m.hostID},1,${m.size}`
  }
  return ['unshare', '--user', '--map-root-user', `--map-users=${range(ids.uid)}`, `--map-groups=${range(ids.gid)}`, '--', ...argv]
}

/** What unshare(1) said, as one line: its own words, or that it is too old for --map-users. */
export function unshareFailure(what: string, stderr: string, cause?: unknown): MiniRunError {
  const said = stderr.trim().split('\n').find(Boolean) ?? ''
  const tooOld = /unrecognized option|invalid option/.test(said)
  return new MiniRunError(
    tooOld
      ? `${what}: needs unshare(1) from util-linux 2.38 or newer (--map-users), which this host lacks`
      : `${what} in your user namespace: ${said || 'unshare(1) failed'}`,
    { code: 'EUSERNS', ...(cause !== undefined ? { cause } : {}) },
  )
}

/** rm -rf as root of the user's namespace: trees of the user's own store that hold files of their subordinate ids. */
export function removeInUserNamespace(ids: Subordinate, path: string): void {
  const argv = inUserNamespace(ids, ['rm', '-rf', '--one-file-system', '--', path])
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
  if (r.error) throw unshareFailure(`remove ${path}`, '', r.error)
  if (r.status !== 0) throw unshareFailure(`remove ${path}`, r.stderr)
}
