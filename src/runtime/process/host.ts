/**
 * What the runtime's side of a start needs from the machine, as one
 * interface: the host steps (run-host-steps.ts) go through it and nothing
 * else. The real one is container/real-host.ts; tests use a recording
 * double that keeps the calls, so the parent's side is tested without root
 * (youki's Syscall trait and its test double do this for the child's side).
 */
import type { SpawnFds, StepReport } from '../../native/process-calls.js'
import type { MonitorOptions } from './monitor.js'
import type { IdMapping, SpecHook } from '../spec/spec.js'
import type { JoinableNamespace, Owner, VolumeClaims } from '../plan/steps.js'
import type { NetworkPlan } from '../../network/plan-network.js'
import type { NetworkRecord } from '../../network/attach.js'

export type { SpawnFds, StepReport }

/** Whose network it is, and where its record goes (the container's state). */
export interface NetworkContext {
  stateRoot: string
  id: string
  name: string
  save(record: NetworkRecord): void
  /** Keep it for the state's next write instead (network/attach.ts says when). */
  note?(record: NetworkRecord): void
}

export interface Host {
  /** Make or check a directory that must be the caller's and writable by no one else (private-dir.ts). */
  ensurePrivateDir(path: string, mode: number, what: string): void
  /** mkdir -p: the first directory it made, or undefined if the path existed. */
  mkdirp(path: string, mode: number): string | undefined
  /** Remove a tree of empty directories; one that holds anything else stays. */
  removeEmptyTree(path: string): void
  /** mkdir (EEXIST is an error), chmod without umask, chown. */
  mkdir(path: string, mode: number, owner?: Owner): void
  /** rm -rf. */
  removeTree(path: string): void
  /**
   * The same, off the JS thread; may leave part of the tree when it rejects.
   * `here`: a tree a run of a moment left (a few entries), removed on the JS
   * thread instead, sooner than a thread is started for it.
   */
  removeTreeInThread(path: string, o?: { here?: boolean }): Promise<void>
  /** mkdir a cgroup leaf (and its parents); an O_DIRECTORY fd of it. */
  createCgroupLeaf(path: string): number
  /** Kill what is left in the leaf, remove it and its parents up to mount while empty. */
  destroyCgroupLeaf(path: string, mount: string): Promise<void>
  /** mkdir (and parents) a leaf in a cgroup v1 hierarchy; cpuset's are given their parent's cpus and mems at each level made. */
  createCgroupV1Leaf(path: string, controller: string): void
  /** Remove a v1 leaf once its processes are gone, and its empty parents down to base. */
  destroyCgroupV1Leaf(path: string, base?: string): Promise<void>
  /** Load a device cgroup program and attach it to the cgroup v2 directory fd. */
  attachDeviceFilter(program: Buffer, cgroupFd: number): void
  /** mkfifo with this mode (no umask). */
  makeFifo(path: string, mode: number): void
  /** An O_PATH fd of a file: names it without opening it (a FIFO does not block). */
  openPath(path: string): number
  /** A unix stream socket connected to path. */
  unixConnect(path: string): number
  /** Run OCI hooks in order, each with the state JSON on stdin; throws naming the first that fails or times out. */
  runHooks(phase: string, hooks: SpecHook[], state: object): Promise<void>
  /** An O_RDONLY fd of an existing directory (or namespace file). */
  openDirectory(path: string): number
  writeFile(path: string, content: string): void
  /** Add the controllers to dir's cgroup.subtree_control that it does not have yet. */
  enableControllers(dir: string, controllers: string[]): void
  /** A detached idmapped clone of the tree at source. */
  idmappedMount(source: string, uidMap: IdMapping[], gidMap: IdMapping[]): number
  /** Run newuidmap or newgidmap (program) for the child pid with these maps; throws its complaint. */
  mapIds(program: string, pid: number, maps: IdMapping[]): void
  /** A pidfd of the process started at startTime, or undefined when it is gone. */
  openProcess(pid: number, startTime: string): number | undefined
  /** --network/--pid/--ipc container:X: a pidfd of X's process (X by its id in stateRoot); throws Docker's error for that namespace unless X runs. */
  openRunningContainer(stateRoot: string, id: string, ref: string, namespace?: JoinableNamespace): number
  /** Attach the child (pid) to its networks; `save` records what teardown will need before each thing is made. */
  attachNetwork(plan: NetworkPlan, pid: number, ctx: NetworkContext): NetworkRecord | undefined
  /** Tear down what attachNetwork made, from its record. */
  detachNetwork(ctx: NetworkContext, record: NetworkRecord | undefined): void
  /** Create, fill from the image and claim a container's volumes, all or none. */
  claimVolumes(claims: VolumeClaims): void
  /** Drop its claims; its anonymous volumes go too. */
  releaseVolumes(claims: VolumeClaims): void
  socketpair(): [number, number]
  pipe(): [number, number]
  memfd(data: Buffer): number
  /** The sealed memfd of mini-run-stage. */
  stage(): number
  /** clone3 + trampoline (native/minirun.h mr_spawn): the child's pid. */
  spawn(cloneFlags: number, fds: SpawnFds): number
  /** The same clone, done by a new mini-run-monitor that stays the child's parent. */
  spawnMonitor(o: MonitorOptions, cloneFlags: number, fds: SpawnFds, peer?: number): { pid: number; monitorPid: number }
  write(fd: number, data: Buffer): void
  close(fd: number): void
  kill(pid: number, signal: NodeJS.Signals): void
  /** The child's failure report, or null once its final execve succeeded. */
  readReport(fd: number): Promise<StepReport | null>
  /** The raw wait(2) status of a child of this process that has exited, not reaped (its waiter does that); undefined if it is not there to see. */
  peekExitStatus(pid: number): Promise<number | undefined>
}
