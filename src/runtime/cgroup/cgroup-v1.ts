/**
 * cgroup v1, for the hosts that still bind controllers to it
 * (Documentation/admin-guide/cgroup-v1/). A "hybrid" host, this one among
 * them and older distributions generally, mounts a tmpfs at /sys/fs/cgroup,
 * one v1 hierarchy per controller (or pair: cpu,cpuacct) below it, and the
 * v2 hierarchy at /sys/fs/cgroup/unified with the controllers no v1
 * hierarchy took (often none). A controller bound to v1 is absent from v2,
 * so a limit it enforces can only be set in its v1 hierarchy.
 *
 * mini-run keeps its v2 leaf (cgroup.procs, cgroup.kill, cgroup.freeze and
 * CLONE_INTO_CGROUP work on any v2 cgroup) and adds, for each controller a
 * limit needs that v2 lacks, a leaf in that controller's v1 hierarchy,
 * nested under the caller's own cgroup there, as runc does with a relative
 * cgroupsPath: the caller's own limits (a sandbox's memory cap) then still
 * hold. v1 has no CLONE_INTO_CGROUP: the child is written into each leaf's
 * cgroup.procs while it waits for its sync byte, before it runs anything.
 * The hierarchies themselves are the host's: never mounted or remounted here.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { dirname, join, normalize, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MiniRunError } from '../../errors.js'
import type { LimitFile, SpecResources, ThrottleDevice } from './cgroup-limits.js'
import { deviceRuleLine } from './cgroup-devices.js'

/** A mounted v1 hierarchy and the controllers bound to it. */
export interface V1Hierarchy {
  mount: string
  controllers: string[]
}

/** A leaf in one controller's v1 hierarchy. */
export interface V1Leaf {
  controller: string
  path: string
  /** The caller's own cgroup it was made under: empty parents between the two go with the leaf. */
  base?: string
}

/** The cgroup v1 hierarchies of /proc/self/mountinfo (named ones, such as name=systemd, are left out). */
export function findV1Hierarchies(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): V1Hierarchy[] {
  const found: V1Hierarchy[] = []
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ')
    if (!left || !right) continue
    const [fstype, , superOptions = ''] = right.split(' ')
    if (fstype !== 'cgroup') continue
    const mount = left.split(' ')[4]?.replace(/\\040/g, ' ')
    const controllers = superOptions.split(',').filter((o) => V1_CONTROLLERS.has(o))
    if (mount && controllers.length) found.push({ mount, controllers })
  }
  return found
}

const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
])

/** The caller's own cgroups (/proc/self/cgroup, cgroups(7)): the v2 path, and the path in each v1 controller's hierarchy. */
export function ownCgroups(procSelfCgroup = readFileSync('/proc/self/cgroup', 'utf8')): { v2: string; v1: Map<string, string> } {
  let v2 = '/'
  const v1 = new Map<string, string>()
  for (const line of procSelfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (!m) continue
    if (m[1] === '0' && m[2] === '') v2 = m[3]!
    else for (const c of m[2]!.split(',')) if (c && !c.startsWith('name=')) v1.set(c, m[3]!)
  }
  return { v2, v1 }
}

/**
 * Where a cgroup path lands in a hierarchy mounted at `mount`: an absolute
 * one from the hierarchy's root, a relative one under `own`, the caller's
 * cgroup there. A path that climbs out of the hierarchy is refused.
 */
export function cgroupPathIn(mount: string, own: string, path: string): string {
  const full = resolve(mount, path.startsWith('/') ? path.slice(1) : join(own.replace(/^\/+/, ''), path))
  if (full !== mount && !full.startsWith(mount + '/')) {
    throw new MiniRunError(`cgroup path ${path} leaves the cgroup hierarchy at ${mount}`)
  }
  return normalize(full)
}

/** The v1 controller that enforces a v2 controller's limits. */
export function v1ControllerOf(v2Controller: string): string {
  return v2Controller === 'io' ? 'blkio' : v2Controller
}

/** The cgroup v1 files of the limits, by v1 controller, in the order they must be written. */
export function limitFilesV1(r: SpecResources): LimitFile[] {
  const files: LimitFile[] = []
  const add = (controller: string, file: string, value: string | number) => files.push({ controller, file, value: String(value) })
  const mem = r.memory
  // memory.memsw.limit_in_bytes (memory + swap) may never be below
  // memory.limit_in_bytes: in a new cgroup both are unlimited, so the
  // memory limit goes first
  if (mem?.limit !== undefined) add('memory', 'memory.limit_in_bytes', mem.limit)
  if (mem?.swap !== undefined) add('memory', 'memory.memsw.limit_in_bytes', mem.swap)
  if (mem?.reservation !== undefined) add('memory', 'memory.soft_limit_in_bytes', mem.reservation)
  if (mem?.swappiness !== undefined) add('memory', 'memory.swappiness', mem.swappiness)
  if (mem?.disableOOMKiller) add('memory', 'memory.oom_control', 1)
  if (r.pids) add('pids', 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max')
  const cpu = r.cpu
  if (cpu?.shares !== undefined) add('cpu', 'cpu.shares', cpu.shares)
  // the period first: a quota is checked against the period in force
  if (cpu?.period !== undefined) add('cpu', 'cpu.cfs_period_us', cpu.period)
  if (cpu?.quota !== undefined) add('cpu', 'cpu.cfs_quota_us', cpu.quota > 0 ? cpu.quota : -1)
  if (cpu?.burst !== undefined) add('cpu', 'cpu.cfs_burst_us', cpu.burst)
  if (cpu?.idle !== undefined) add('cpu', 'cpu.idle', cpu.idle)
  if (cpu?.cpus) add('cpuset', 'cpuset.cpus', cpu.cpus)
  if (cpu?.mems) add('cpuset', 'cpuset.mems', cpu.mems)
  const io = r.blockIO
  if (io?.weight !== undefined) add('blkio', 'blkio.weight', io.weight)
  for (const d of io?.weightDevice ?? []) if (d.weight !== undefined) add('blkio', 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`)
  const throttles: [ThrottleDevice[] | undefined, string][] = [
    [io?.throttleReadBpsDevice, 'read_bps_device'], [io?.throttleWriteBpsDevice, 'write_bps_device'],
    [io?.throttleReadIOPSDevice, 'read_iops_device'], [io?.throttleWriteIOPSDevice, 'write_iops_device'],
  ]
  for (const [list, name] of throttles) for (const d of list ?? []) add('blkio', `blkio.throttle.${name}`, `${d.major}:${d.minor} ${d.rate}`)
  for (const h of r.hugepageLimits ?? []) add('hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, h.limit)
  // the devices controller: each rule appended to the allow or deny list in
  // order ("a" resets it), which gives the OCI rule that the last match decides
  for (const rule of r.devices ?? []) add('devices', rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleLine(rule))
  return files
}

/** memory.oom_control counts the OOM killer's kills in this cgroup (oom_kill, Linux 4.13). */
export function oomKilledV1(leaf: string): boolean {
  const file = join(leaf, 'memory.oom_control')
  if (!existsSync(file)) return false
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'))
    return m ? Number(m[1]) > 0 : false
  } catch {
    return false
  }
}

/**
 * mkdir a v1 leaf and the parents it lacks. A new cpuset cgroup has no CPU
 * and no memory node, and a process cannot join it (ENOSPC): each level
 * made here gets its parent's cpuset.cpus and cpuset.mems, as runc does.
 */
export function createV1Leaf(path: string, controller: string): void {
  const missing: string[] = []
  for (let dir = path; !existsSync(dir); dir = dirname(dir)) missing.unshift(dir)
  for (const dir of missing) {
    try {
      mkdirSync(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new MiniRunError(`create cgroup ${dir}: ${(err as Error).message}`, { cause: err })
      }
    }
    if (controller === 'cpuset') {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if (readFileSync(join(dir, file), 'utf8').trim() === '') writeFileSync(join(dir, file), readFileSync(join(dirname(dir), file), 'utf8').trim())
      }
    }
  }
}

/** The pids in a v1 leaf (cgroup.procs); none if it is gone. */
export function v1Procs(path: string): number[] {
  try {
    return readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * Remove a v1 leaf: v1 has no cgroup.kill, so what is left in it is killed
 * by pid (a fork between the read and the kills is caught by the next
 * round), then rmdir once the kernel has let go of it (EBUSY meanwhile).
 */
export async function destroyV1Leaf(path: string, base?: string): Promise<void> {
  await removeLeaf(path)
  // the shared parent (mini-run/) goes with the last leaf under it
  for (let dir = dirname(path); base && dir.startsWith(base + '/'); dir = dirname(dir)) {
    try {
      rmdirSync(dir)
    } catch {
      break // another container's, or gone
    }
  }
}

async function removeLeaf(path: string): Promise<void> {
  for (let waited = 0; existsSync(path); waited += 5) {
    const procs = v1Procs(path)
    for (const pid of procs) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    try {
      rmdirSync(path)
      return
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return
      if (code !== 'EBUSY' || waited > 10_000) throw new MiniRunError(`remove cgroup ${path}: ${(err as Error).message}`, { cause: err })
    }
    await sleep(5)
  }
}
