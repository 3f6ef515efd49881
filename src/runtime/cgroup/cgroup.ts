/**
 * A cgroup v2 leaf per container, driven by writing its files
 * (Documentation/admin-guide/cgroup-v2.rst).
 *
 * Only the v2 hierarchy is used. On a hybrid host (v1 controllers plus a v2
 * tree at /sys/fs/cgroup/unified) the leaf still gives cgroup.procs,
 * cgroup.kill and cgroup.events; limits need controllers the host may lack.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MiniRunError } from '../../errors.js'

/** Where the cgroup2 filesystem is mounted, from /proc/self/mountinfo; undefined if nowhere. */
export function findCgroup2Mount(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string | undefined {
  // mountinfo(5): the mount point is field 5, the fs type the first after
  // " - " (optional fields, each without a blank, may come before it). One
  // search, not a split of each line and field: the strings of a host's
  // whole mount table, on a run's path (late-scavenge.ts)
  const mountPoint = /^[^ \n]+ [^ \n]+ [^ \n]+ [^ \n]+ ([^ \n]+) [^\n]*? - cgroup2 /m.exec(mountinfo)?.[1]
  return mountPoint?.replace(/\\040/g, ' ')
}

export const DEFAULT_CGROUP_PARENT = 'mini-run'

export interface CgroupLeaf {
  /** Absolute path of the leaf directory. */
  path: string
  /** O_RDONLY directory fd, for clone3(CLONE_INTO_CGROUP). */
  fd: number
  /** The parent directory, removed with the last leaf when mini-run made it. */
  parent: string
}

/**
 * Where a container's leaf goes: `<mount>/<parent>/<id>`. The parent is
 * relative to the v2 root (Docker's --cgroup-parent); mini-run never
 * creates cgroups elsewhere: throws if the parent leaves the hierarchy.
 */
export function leafPath(mount: string, parent: string, id: string): string {
  const parentPath = resolve(mount, parent.replace(/^\/+/, ''))
  if (parentPath !== mount && !parentPath.startsWith(mount + '/')) {
    throw new MiniRunError(`cgroup parent ${parent} is outside the cgroup v2 hierarchy at ${mount}`)
  }
  return join(parentPath, id)
}

/** Create the leaf at path (leafPath's), with its parents; an fd of it for CLONE_INTO_CGROUP. */
export function createLeafAt(path: string): CgroupLeaf {
  const parentPath = dirname(path)
  // Another container's teardown may remove an empty parent between our two
  // mkdirs: retry once.
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(parentPath, { recursive: true })
      mkdirSync(path)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 3) continue
      throw new MiniRunError(`create cgroup ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
  try {
    return { path, fd: openSync(path, 'r'), parent: parentPath }
  } catch (err) {
    rmdirSync(path)
    throw new MiniRunError(`open cgroup ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** True when no process is left in the cgroup (cgroup.events "populated 0"). */
export function isPopulated(path: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(path, 'cgroup.events'), 'utf8'))
  } catch {
    return false
  }
}

/**
 * Kill everything in the leaf and remove it. cgroup.kill (Linux 5.14) sends
 * SIGKILL to every process, including ones that forked during the kill; the
 * directory can only be removed once cgroup.events says it is unpopulated.
 */
export async function destroyLeaf(leaf: { path: string; parent: string; fd?: number }, mount: string): Promise<void> {
  if (leaf.fd !== undefined) {
    try {
      closeSync(leaf.fd)
    } catch {
      // already closed
    }
  }
  if (!existsSync(leaf.path)) return
  if (isPopulated(leaf.path)) {
    killAll(leaf.path)
    for (let waited = 0; isPopulated(leaf.path); waited += 5) {
      if (waited > 10_000) throw new MiniRunError(`cgroup ${leaf.path} still has processes after 10s`)
      await sleep(5)
    }
  }
  removeDir(leaf.path)
  // The shared parent goes when the last container leaves it, so nothing of
  // mini-run stays in the host's cgroup tree.
  let dir = leaf.parent
  while (dir !== mount && dir.startsWith(mount + '/')) {
    try {
      rmdirSync(dir)
    } catch {
      break // ENOTEMPTY/EBUSY: another container uses it
    }
    dir = dirname(dir)
  }
}

/**
 * destroyLeaf without waiting, for a container whose processes are all gone
 * already: false (after a cgroup.kill) if some are still there, to be
 * removed at a later look.
 */
export function removeEmptyLeaf(leaf: { path: string; parent: string }, mount: string): boolean {
  if (!existsSync(leaf.path)) return true
  if (isPopulated(leaf.path)) {
    killAll(leaf.path)
    return false
  }
  removeDir(leaf.path)
  let dir = leaf.parent
  while (dir !== mount && dir.startsWith(mount + '/')) {
    try {
      rmdirSync(dir)
    } catch {
      break // another container uses it
    }
    dir = dirname(dir)
  }
  return true
}

function killAll(path: string): void {
  try {
    writeFileSync(join(path, 'cgroup.kill'), '1')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    // Before Linux 5.14: kill each listed process (a fork may slip through; the loop retries)
    for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // gone already
      }
    }
  }
}

function removeDir(path: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(path)
      return
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return
      // EBUSY right after the last process left: the kernel is still tearing it down
      if (code === 'EBUSY' && attempt < 200) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
        continue
      }
      throw new MiniRunError(`remove cgroup ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
}
