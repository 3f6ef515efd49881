/**
 * The store's tmp/ directory: where everything is built before a rename
 * makes it visible, and where removed things go before they are deleted.
 *
 * Each entry is named after the process that owns it, by pid and by the
 * process's start time (field 22 of /proc/<pid>/stat): a pid alone can be
 * reused, the pair cannot. An entry whose owner is gone is garbage from a
 * killed process and any later store operation may delete it; an entry of a
 * live process is its work in progress and is left alone.
 */
import { constants } from 'node:fs'
import { chmod, lstat, open, readdir, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { getLogger } from '../log.js'
import * as isolationCalls from '../native/isolation-calls.js'
import { processStartTime } from '../proc-stat.js'
import { removeInUserNamespace } from '../rootless/in-user-namespace.js'
import { ownSubordinateIds } from '../rootless/subordinate-ids.js'
import { TMP_NAME_RE, tmpPath } from './tmp-name.js'

export { tmpPath }

/** tmp/ entries whose owning process is gone (or that we cannot attribute). */
export async function staleTmpEntries(tmpDir: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(tmpDir)
  } catch {
    return []
  }
  return names.filter((name) => {
    const m = TMP_NAME_RE.exec(name)
    return !(m && processStartTime(Number(m[1])) === m[2])
  })
}

/** Delete tmp/ entries whose owning process is gone (or that we cannot attribute). */
export async function cleanStaleTmp(tmpDir: string): Promise<string[]> {
  const removed: string[] = []
  for (const name of await staleTmpEntries(tmpDir)) {
    getLogger().debug({ path: join(tmpDir, name) }, 'removing stale store tmp entry')
    await unmountSecretTmpfs(tmpDir, name)
    await removeTree(join(tmpDir, name))
    removed.push(name)
  }
  return removed
}

/**
 * A killed build's secret: the tmpfs it had for one RUN (src/build/
 * run-command-step.ts) is still mounted on its tmp/ entry, which no rmdir
 * can remove (EBUSY). Detached, the tmpfs and the secret in it are gone.
 */
async function unmountSecretTmpfs(tmpDir: string, name: string): Promise<void> {
  if (!name.startsWith('secret-')) return
  const [entry, dir] = await Promise.all([lstat(join(tmpDir, name)).catch(() => undefined), lstat(tmpDir)])
  if (entry?.isDirectory() && entry.dev !== dir.dev) isolationCalls.umount(join(tmpDir, name), 2 | 8 /* MNT_DETACH | UMOUNT_NOFOLLOW */)
}

/**
 * Write a file so that readers see the old content or the new, never a
 * part, and so that a power cut leaves one of the two as well: write a tmp
 * file, fsync it, rename it over dest, fsync dest's directory (the rename is
 * an update of the directory, durable only once the directory is synced:
 * fsync(2), "Calling fsync() does not necessarily ensure that the entry in
 * the directory containing the file has also reached disk").
 */
export async function writeFileAtomic(tmpDir: string, dest: string, data: Buffer | string, mode = 0o644): Promise<void> {
  const tmp = tmpPath(tmpDir, 'file')
  const fh = await open(tmp, 'wx', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } catch (err) {
    await fh.close()
    await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  try {
    await rename(tmp, dest)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDir(dirname(dest))
}

/** fsync(2) a directory: its entries (a rename into it, a new file) survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * Everything written under dir is on disk (syncfs(2) of its file system):
 * one call for an unpacked layer's thousands of files, where an fsync of
 * each would cost a disk flush apiece. Call it before the rename that
 * publishes them.
 */
export async function syncTree(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    const { syncfs } = await import('../native/file-calls.js')
    await syncfs(fh.fd)
  } finally {
    await fh.close()
  }
}

/**
 * rm -rf that also works without privileges on trees holding directories
 * without write permission (an unpacked layer keeps the image's modes, and a
 * 0555 directory cannot be emptied by its non-root owner): on EACCES, give
 * every directory u+rwx and try again. A rootless store with subordinate
 * ids holds files of those ids: they go as root of the user's namespace
 * (rootless/in-user-namespace.ts).
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true, maxRetries: 2 })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EACCES' && code !== 'EPERM') throw err
    const ids = ownSubordinateIds()
    if (ids) return removeInUserNamespace(ids, path)
    await makeWritable(path)
    await rm(path, { recursive: true, force: true, maxRetries: 2 })
  }
}

async function makeWritable(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined)
  if (!st?.isDirectory()) return
  await chmod(path, 0o700).catch(() => undefined)
  for (const name of await readdir(path).catch(() => [] as string[])) await makeWritable(join(path, name))
}
