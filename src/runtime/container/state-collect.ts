/**
 * A container state directory without state.json: what a runtime killed
 * between createState's mkdir and its first write, or between removeState's
 * unlink of state.json and its rmdir, left behind. No listing can show it
 * and no `rm` can name it, so the next listing that meets it removes it,
 * with the names that still point to it.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, rmdirSync, type Stats, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { getLogger } from '../../log.js'
import { stateDir, tryLockContainer, withNamesLock } from './state.js'

/**
 * Remove the state directory of `id` if it holds no state.json; whether it
 * did. Under the container's lock (nobody is acting on it: `rm` holds it
 * while it removes) and the names lock, which createState holds from the
 * name's link to the first write, so a container being created now is
 * never taken for a leftover. Only files are removed: a directory or a
 * mount point in it (a pinned network namespace) is not a leftover of
 * those two moments, and is left alone. Never throws: a listing goes on.
 */
export function collectStateDir(stateRoot: string, id: string): boolean {
  const lock = tryLockContainer(stateRoot, id)
  if (!lock) return false
  try {
    return withNamesLock(stateRoot, (names) => {
      const dir = stateDir(stateRoot, id)
      if (existsSync(join(dir, 'state.json'))) return false
      // files and sockets of this filesystem only, and the linked-by/ notes (container-links.ts) of
      // the containers linking to it: another directory, or a mount point (another st_dev), and
      // nothing is removed
      const dev = lstatSync(dir).dev
      const flat = (d: string) => readdirSync(d).map((name) => ({ path: join(d, name), st: lstatSync(join(d, name)) }))
      const plain = (st: Stats) => (st.isFile() || st.isSocket()) && st.dev === dev
      const entries = flat(dir)
      const notes = entries.find(({ path, st }) => path === join(dir, 'linked-by') && st.isDirectory() && st.dev === dev)
      const noteFiles = notes ? flat(notes.path) : []
      if (!entries.every((e) => e === notes || plain(e.st)) || !noteFiles.every(({ st }) => plain(st))) return false
      for (const { path } of noteFiles) unlinkSync(path)
      for (const e of entries) e === notes ? rmdirSync(e.path) : unlinkSync(e.path)
      rmdirSync(dir)
      for (const name of readdirSync(names)) {
        try {
          if (readlinkSync(join(names, name)) === id) unlinkSync(join(names, name))
        } catch {
          // gone meanwhile, or not a link
        }
      }
      try {
        rmdirSync(names)
      } catch {
        // other names remain
      }
      return true
    })
  } catch (err) {
    getLogger().debug({ err, id }, 'cannot collect a state directory without state')
    return false
  } finally {
    lock.release()
  }
}
