/**
 * A Host (src/runtime/process/host.ts) that does nothing but record: every
 * call with its arguments, in order. Fds are numbers from 100 up, the child
 * is pid 4242. The parent's side of a start is tested with it, without root,
 * as youki's recording Syscall double tests the child's.
 */
import type { Host } from '../../src/runtime/process/host.js'

export interface Call {
  call: keyof Host
  args: unknown[]
}

export interface RecordingHost extends Host {
  calls: Call[]
  /** Make the next call of this name throw err. */
  failOn(call: keyof Host, err: Error): void
  /** Fds handed out and not closed yet. */
  open(): number[]
}

export function recordingHost(options: { report?: { step: number; errno: number } | null; exitStatus?: number } = {}): RecordingHost {
  const calls: Call[] = []
  const failures = new Map<keyof Host, Error>()
  const openFds = new Set<number>()
  let next = 100
  const fd = () => {
    const n = next++
    openFds.add(n)
    return n
  }
  const record = <T>(call: keyof Host, args: unknown[], result: () => T): T => {
    calls.push({ call, args })
    const err = failures.get(call)
    if (err) {
      failures.delete(call)
      throw err
    }
    return result()
  }
  const host: RecordingHost = {
    calls,
    failOn: (call, err) => void failures.set(call, err),
    open: () => [...openFds].sort((a, b) => a - b),
    ensurePrivateDir: (...a) => record('ensurePrivateDir', a, () => undefined),
    mkdirp: (...a) => record('mkdirp', a, () => a[0]),
    removeEmptyTree: (...a) => record('removeEmptyTree', a, () => undefined),
    mkdir: (...a) => record('mkdir', a, () => undefined),
    removeTree: (...a) => record('removeTree', a, () => undefined),
    removeTreeInThread: (...a) => record('removeTreeInThread', a, () => Promise.resolve()),
    createCgroupLeaf: (...a) => record('createCgroupLeaf', a, fd),
    destroyCgroupLeaf: (...a) => record('destroyCgroupLeaf', a, () => Promise.resolve()),
    openDirectory: (...a) => record('openDirectory', a, fd),
    createCgroupV1Leaf: (...a) => record('createCgroupV1Leaf', a, () => undefined),
    destroyCgroupV1Leaf: (...a) => record('destroyCgroupV1Leaf', a, () => Promise.resolve()),
    makeFifo: (...a) => record('makeFifo', a, () => undefined),
    attachDeviceFilter: (...a) => record('attachDeviceFilter', a, () => undefined),
    runHooks: (...a) => record('runHooks', a, () => Promise.resolve()),
    openPath: (...a) => record('openPath', a, fd),
    unixConnect: (...a) => record('unixConnect', a, fd),
    writeFile: (...a) => record('writeFile', a, () => undefined),
    enableControllers: (...a) => record('enableControllers', a, () => undefined),
    idmappedMount: (...a) => record('idmappedMount', a, fd),
    mapIds: (...a) => record('mapIds', a, () => undefined),
    openProcess: (...a) => record('openProcess', a, fd),
    openRunningContainer: (...a) => record('openRunningContainer', a, fd),
    attachNetwork: (...a) => record('attachNetwork', a, () => undefined),
    detachNetwork: (...a) => record('detachNetwork', a, () => undefined),
    claimVolumes: (...a) => record('claimVolumes', a, () => undefined),
    releaseVolumes: (...a) => record('releaseVolumes', a, () => undefined),
    socketpair: (...a) => record('socketpair', a, () => [fd(), fd()] as [number, number]),
    pipe: (...a) => record('pipe', a, () => [fd(), fd()] as [number, number]),
    memfd: (...a) => record('memfd', a, fd),
    stage: (...a) => record('stage', a, () => 99),
    spawn: (...a) => record('spawn', a, () => 4242),
    spawnMonitor: (...a) => record('spawnMonitor', a, () => ({ pid: 4242, monitorPid: 4241 })),
    write: (...a) => record('write', a, () => undefined),
    close: (...a) => record('close', a, () => void openFds.delete(a[0])),
    kill: (...a) => record('kill', a, () => undefined),
    readReport: (...a) => record('readReport', a, () => Promise.resolve(options.report ?? null)),
    peekExitStatus: (...a) => record('peekExitStatus', a, () => Promise.resolve(options.exitStatus)),
  }
  return host
}
