/**
 * The store and the state directory hold what decides a container's
 * privileges: unpacked layers with setuid binaries, file capabilities and
 * device nodes, writable layers, state files that name paths to delete.
 * Whoever else can reach them can get root from them (a setuid-root binary
 * runs as root wherever its inode is reached, and a character device opens
 * the device whatever directory it sits in). So each of them must be
 * created by, and belong to, the user who runs mini-run, and nobody else may
 * write to it; Docker keeps /var/lib/docker 0710 for the same reason.
 *
 * A directory that exists already is trusted only if it passes the same
 * checks: a predictable path such as /tmp/mini-run-1000 may have been made
 * by another user first, to plant state files there. One of our own that
 * others may write is refused unless it is empty (then it is narrowed).
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import { MiniRunError } from './errors.js'

export interface PrivateDirOptions {
  /** The mode the directory is given when made, and narrowed to if wider. */
  mode: number
  /** What it is, for messages: "image store", "state directory". */
  what: string
}

/**
 * Make `path` (and missing parents, 0755 like mkdir -p) or check it:
 * a directory, not a symlink, owned by the effective user, writable by no
 * one else. A mode wider than `mode` but not writable by others (a store
 * made by an older mini-run, 0755) is narrowed. Throws EUNSAFEDIR naming the path and what is wrong.
 */
export function ensurePrivateDir(path: string, o: PrivateDirOptions): void {
  // there already, the usual case: checked without a mkdir's EEXIST made into an error and caught
  if (checkPrivateDir(path, o)) return
  try {
    mkdirSync(path, { mode: o.mode })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      mkdirSync(path, { recursive: true, mode: 0o755 })
      return ensurePrivateDir(path, o)
    }
    if (code !== 'EEXIST') throw err
  }
  checkPrivateDir(path, o)
}

/** The checks of ensurePrivateDir on a directory that must already exist; false if it does not. */
export function checkPrivateDir(path: string, o: PrivateDirOptions): boolean {
  let st
  try {
    st = lstatSync(path, { throwIfNoEntry: false })
    if (st === undefined) return false
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return false
    // a directory on the way is not ours to enter: another user's
    if (code === 'EACCES') throw new MiniRunError(`${o.what} ${path}: permission denied (it is not yours): choose another directory`, { code: 'EUNSAFEDIR', cause: err })
    throw err
  }
  const uid = process.geteuid?.() ?? 0
  const unsafe = (why: string) =>
    new MiniRunError(`${o.what} ${path} ${why}: remove it or choose another directory`, { code: 'EUNSAFEDIR' })
  if (st.isSymbolicLink()) throw unsafe('is a symbolic link')
  if (!st.isDirectory()) throw unsafe('is not a directory')
  if (st.uid !== uid) throw unsafe(`belongs to uid ${st.uid}, not to you (uid ${uid})`)
  const mode = st.mode & 0o7777
  if ((mode & 0o022) !== 0) {
    // What others could write, they may have planted: refuse, do not repair.
    // Unless it is empty, as a file system mounted for the purpose is (a
    // tmpfs comes up 1777): narrowed first, it can get nothing new, and
    // then its emptiness shows that nothing was planted before.
    chmodSync(path, mode & o.mode & ~0o7000)
    if (readdirSync(path).length > 0) {
      chmodSync(path, mode)
      throw unsafe(`is writable by others (mode ${mode.toString(8).padStart(4, '0')})`)
    }
    return true
  }
  if ((mode & ~o.mode) !== 0) chmodSync(path, mode & o.mode)
  return true
}
