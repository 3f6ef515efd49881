/**
 * -v HOST:CTR with a HOST directory that does not exist: Docker's -v makes
 * it (--mount refuses). Only where a directory can be made: a path under
 * /proc, /sys or /dev names kernel objects, not a place for one (and
 * Node's recursive mkdir loops for ever on procfs, whose mkdir fails with
 * ENOENT under a directory that exists). The walk is bounded by the path's
 * own components: each is made once, and any failure but "exists" stops it
 * with one line.
 */
import { mkdirSync, statfsSync, statSync } from 'node:fs'
import { dirname, sep } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'

/** Pseudo file systems of the kernel (statfs(2) f_type): nothing of ours is made in them. */
const KERNEL_FS = new Map<number, string>([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x63677270, 'cgroup2'],
  [0x27e0eb, 'cgroup'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
])

const KERNEL_TREES = ['/proc', '/sys', '/dev']

/** Throws a UsageError if a missing -v source may not be made (before anything is). */
export function checkBindSourceCreatable(path: string): void {
  const tree = KERNEL_TREES.find((t) => path === t || path.startsWith(t + '/'))
  if (tree) throw new UsageError(`bind source path does not exist: ${path} (a missing source under ${tree} is not created)`)
  const { ancestor } = existingAncestor(path)
  const kind = KERNEL_FS.get(Number(statfsSync(ancestor).type))
  if (kind) throw new UsageError(`bind source path does not exist: ${path} (${ancestor} is on ${kind}, where it cannot be created)`)
}

function existingAncestor(path: string): { ancestor: string; missing: string[] } {
  const missing: string[] = []
  let dir = path
  // at most one step per component: dirname('/') is '/'
  for (let steps = path.split(sep).length; steps > 0; steps--) {
    try {
      if (!statSync(dir).isDirectory()) throw new UsageError(`bind source path ${path}: ${dir} is not a directory`)
      return { ancestor: dir, missing: missing.reverse() }
    } catch (err) {
      // ENOTDIR: a file further up, found as the walk goes on
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err
    }
    missing.push(dir)
    dir = dirname(dir)
  }
  return { ancestor: '/', missing: missing.reverse() }
}

/** mkdir -p, bounded: each missing component once, from the deepest existing directory down. */
export function makeBindSource(path: string, mode: number): string | undefined {
  // the first directory made, as mkdirSync's recursive mode returns: what an undo removes
  let first: string | undefined
  for (const dir of existingAncestor(path).missing) {
    try {
      mkdirSync(dir, { mode })
      first ??= dir
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) continue
      throw new MiniRunError(`create bind source ${path}: mkdir ${dir}: ${(err as Error).message}`, { cause: err })
    }
  }
  return first
}

