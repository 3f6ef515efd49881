/**
 * The Host (process/host.ts) that acts on this machine: the file system,
 * cgroup v2, the native helpers, the volume store.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, rmdirSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as native from '../../native/lib.js'
import * as fileCalls from '../../native/file-calls.js'
import * as isolationCalls from '../../native/isolation-calls.js'
import * as processCalls from '../../native/process-calls.js'
import { attachNetwork, detachNetwork } from '../../network/index.js'
import { ensurePrivateDir } from '../../private-dir.js'
import { removeOwnTree } from '../../rootless/remove-tree.js'
import { createLeafAt, destroyLeaf } from '../cgroup/cgroup.js'
import { enableControllers } from '../cgroup/cgroup-limits.js'
import { createV1Leaf, destroyV1Leaf } from '../cgroup/cgroup-v1.js'
import { openContainerProcess } from '../process/container-process.js'
import { openRunningContainer } from './container-network.js'
import type { Host } from '../process/host.js'
import { spawnMonitor } from '../process/monitor.js'
import { runHooks } from '../process/run-hooks.js'
import { formatIdMap } from '../spec/id-maps.js'
import { claimContainerVolumes, releaseContainerVolumes } from './container-volumes.js'
import { makeBindSource } from './bind-source.js'

let stageFd: number | undefined

/** mknod(2) file type and open(2) flag Node's constants lack. */
const S_IFIFO = 0o010000
const O_PATH = 0o10000000

export const realHost: Host = {
  ensurePrivateDir: (path, mode, what) => ensurePrivateDir(path, { mode, what }),
  mkdirp: (path, mode) => makeBindSource(path, mode),
  removeEmptyTree: (path) => void removeEmptyDirs(path),
  mkdir(path, mode, owner) {
    mkdirSync(path, { mode })
    chmodSync(path, mode) // without the umask, and with setuid/setgid/sticky bits
    if (owner) chownSync(path, owner.uid, owner.gid)
  },
  removeTree(path) {
    // Usually a handful of entries (an empty writable layer, the network's
    // /etc files): unlink and rmdir them, without fs.rmSync's recursive
    // walker (1-1.5 ms to load and run at each start, profiled).
    if (!removeSmallTree(path)) removeOwnTree(path)
  },
  // a run of a moment left a handful of entries, sooner removed here (with
  // mr_remove_tree: the JS walker took 4 ms more) than libuv's pool started
  // for them, four threads (2-3 ms); anything else on one of its threads
  async removeTreeInThread(path, o) {
    if (o?.here) fileCalls.removeTreeHere(path)
    else await fileCalls.removeTreeInThread(path)
  },
  createCgroupLeaf: (path) => createLeafAt(path).fd,
  destroyCgroupLeaf: (path, mount) => destroyLeaf({ path, parent: dirname(path) }, mount),
  openDirectory: (path) => openSync(path, 'r'),
  createCgroupV1Leaf: createV1Leaf,
  destroyCgroupV1Leaf: destroyV1Leaf,
  attachDeviceFilter: isolationCalls.bpfDeviceFilter,
  makeFifo(path, mode) {
    fileCalls.mknod(path, S_IFIFO | mode, 0, 0)
    chmodSync(path, mode) // without the umask
  },
  openPath: (path) => openSync(path, O_PATH),
  unixConnect: processCalls.unixConnect,
  runHooks,
  writeFile: (path, content) => writeFileSync(path, content),
  enableControllers,
  idmappedMount(source, uidMap, gidMap) {
    const userns = isolationCalls.usernsFd(formatIdMap(uidMap, '\n'), formatIdMap(gidMap, '\n'))
    try {
      return isolationCalls.idmappedTree(source, userns, false)
    } finally {
      closeSync(userns)
    }
  },
  mapIds(program, pid, maps) {
    const r = spawnSync(program, [String(pid), ...maps.flatMap((m) => [m.containerID, m.hostID, m.size].map(String))], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    if (r.error) throw r.error
    // newuidmap(1) says what it refused on stderr ("uid range [1-65537) -> [100000-165536) not allowed")
    if (r.status !== 0) throw new Error(r.stderr.trim().split('\n')[0] || `${program} exited with status ${r.status}`)
  },
  openProcess: (pid, startTime) => openContainerProcess({ pid, pidStartTime: startTime }),
  openRunningContainer,
  attachNetwork: (plan, pid, ctx) => attachNetwork(plan, ctx, pid),
  detachNetwork: (ctx, record) => detachNetwork(ctx.stateRoot, ctx.id, record),
  claimVolumes: (c) => claimContainerVolumes(c),
  releaseVolumes: (c) => void releaseContainerVolumes(c.storeRoot, c.container, c.volumes, true, c.stateRoot),
  socketpair: processCalls.socketpair,
  pipe: processCalls.pipe,
  memfd: processCalls.memfdData,
  stage() {
    stageFd ??= processCalls.sealedCopy(native.stagePath())
    return stageFd
  },
  spawn: processCalls.spawn,
  spawnMonitor,
  write(fd, data) {
    writeSync(fd, data)
  },
  close: closeSync,
  kill: (pid, signal) => process.kill(pid, signal),
  readReport: processCalls.readReport,
  peekExitStatus: (pid) => processCalls.peekExitStatus(pid),
}

/**
 * rm -r with readdir, unlink and rmdir (a symlink is removed, not
 * followed); false, with part of the tree perhaps gone, at the first
 * refusal: removeOwnTree knows what to do then.
 */
function removeSmallTree(dir: string): boolean {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (!entry.isDirectory()) unlinkSync(path)
      else if (!removeSmallTree(path)) return false
    }
    rmdirSync(dir)
    return true
  } catch (err) {
    // gone meanwhile: done if it is the whole tree
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(dir)
  }
}

/** Remove a tree of empty directories; false (and nothing promised) if it holds anything else. */
function removeEmptyDirs(dir: string): boolean {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !removeEmptyDirs(join(dir, entry.name))) return false
    }
    rmdirSync(dir)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
  }
}
