/**
 * Carry out a plan's host steps: the runtime's side of a start, in order,
 * through a Host. Resources the steps make fill their slots; the child's
 * program is encoded with those numbers at the clone, so the plan itself is
 * never changed.
 *
 * The handshake, with the native side in native/minirun.h (mr_spawn):
 *   parent                               child (trampoline, then stage)
 *   clone3(flags, CLONE_INTO_CGROUP) ->  blocks reading the sync pipe (on a bridge:
 *   write setgroups/uid_map/gid_map        execs the stage at once, which runs its
 *     (or newuidmap), or the network       steps up to sync_wait: plan-sync.ts)
 *   write 1 byte to the sync pipe    ->  execs the sealed stage, runs the steps
 *   read the report pipe             <-  a failed step writes {index, errno};
 *                                        a successful execve closes the pipe
 *
 * A failure before the child exists undoes what was made, in reverse, and
 * throws one error naming the step. After the clone, the caller decides
 * what to keep (Resources): a detached container keeps its writable layer
 * and cgroup, a foreground --rm one gives back everything.
 */
import { crashPoint } from '../../crash-point.js'
import { MiniRunError } from '../../errors.js'
import { errnoNumber, strerror } from '../../native/lib.js'
import { describeHostStep } from '../plan/host-kinds.js'
import { encodeProgram } from '../plan/encode-program.js'
import type { HostStep, StartPlan } from '../plan/steps.js'
import type { NetworkRecord } from '../../network/attach.js'
import { notRunning } from './container-process.js'
import type { Host, NetworkContext } from './host.js'
import { Resources } from './resources.js'
import { StepError } from './step-error.js'
import { KilledError, signalOf } from './exit-status.js'
import { parseSignal } from '../spec/signals.js'

export { Resources }


export interface Launched {
  pid: number
  /** run -d: the monitor that is the container's parent. */
  monitorPid?: number
  /** Resolves to null once the command runs, or the step that failed. */
  started: Promise<StepError | null>
  resources: Resources
}

export interface RunHostOptions {
  /** Fds 0-2 of the container (unused when it opens a pty, or when a monitor gives it its own). */
  stdio: [number, number, number]
  /** Whose network a network step attaches, and where its record is saved. */
  network?: NetworkContext
}

/**
 * One line naming the step and its place in the plan, as a child step's
 * failure does: "write "64" to /sys/.../pids.max: Permission denied (runtime
 * step P8 of 17)". Node's own errno errors repeat the path: only the errno
 * is kept from them.
 */
function failed(plan: StartPlan, step: HostStep, err: unknown, pid?: number): Error {
  if (err instanceof MiniRunError) return err
  const e = err as NodeJS.ErrnoException & { syscall?: string }
  const what = describeHostStep(step).replace('<child>', String(pid ?? '<child>'))
  // Node's errno errors say "EACCES: permission denied, open '<path>'": the errno's words are enough when the path is the step's own
  const own = e.path === undefined || what.includes(e.path)
  const why = e.code && /^E[A-Z]+$/.test(e.code) && own ? strerror(errnoNumber(e.code)) : e.message
  return new MiniRunError(`${what}: ${why} (runtime step P${plan.host.indexOf(step) + 1} of ${plan.host.length})`, { cause: err, code: e.code })
}

export async function runHostSteps(plan: StartPlan, host: Host, o: RunHostOptions): Promise<Launched> {
  const res = new Resources(host)
  const cloneAt = plan.host.findIndex((s) => s.kind === 'clone')
  const clone = plan.host[cloneAt]
  if (clone?.kind !== 'clone') throw new TypeError('a start plan needs one clone step')
  let step: HostStep | undefined
  try {
    for (step of plan.host.slice(0, cloneAt)) prepare(step, host, res)
  } catch (err) {
    await res.undo()
    throw failed(plan, step!, err)
  }
  crashPoint('start:before-clone')
  let launched: { pid: number; monitorPid?: number; syncWrite: number; reportRead: number }
  try {
    launched = cloneChild(plan, clone, host, res, o)
  } catch (err) {
    await res.undo()
    throw failed(plan, clone, err)
  }
  const { pid, syncWrite, reportRead } = launched
  let setupError: unknown
  // a child of ours gone before it read its sync byte
  let vanished: HostStep | undefined
  try {
    for (step of plan.host.slice(cloneAt + 1)) {
      if (step.kind === 'proc_write') host.writeFile(`/proc/${pid}/${step.file}`, step.content)
      else if (step.kind === 'network') attach(step, host, res, pid, o)
      else if (step.kind === 'id_map_helper') host.mapIds(step.program, pid, step.maps)
      else if (step.kind === 'cgroup_attach') host.writeFile(`${step.path}/cgroup.procs`, String(pid))
      else if (step.kind === 'hooks') await host.runHooks(step.phase, step.hooks, { ...step.state, status: 'creating', pid })
      else if (step.kind === 'sync') host.write(syncWrite, Buffer.from([1]))
      else throw new TypeError(`host step ${step.kind} cannot come after the clone`)
    }
  } catch (err) {
    // EPIPE: the trampoline (or the stage, before its sync_wait) failed and said why on
    // the report pipe; anything else is ours, and the child must go.
    setupError = failed(plan, step!, err, pid)
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
      if (!('monitor' in clone.via)) vanished = step
    } else {
      try {
        host.kill(pid, 'SIGKILL')
      } catch {
        // gone already (its monitor reaped it): the report pipe says so
      }
    }
  }
  host.close(syncWrite)
  const started = host.readReport(reportRead).then(
    async (report) => {
      host.close(reportRead)
      // errno 0: not a failure, the child reached its wait_start (steps.h)
      if (report && report.errno !== 0) return new StepError(plan.child, report.step, report.errno)
      // not reaped: its caller's wait does that, and its kill must not reach a pid given out again
      if (vanished) throw killedBeforeSync(plan, vanished, await host.peekExitStatus(pid).catch(() => undefined), setupError)
      if (setupError) throw setupError
      return null
    },
    (err: unknown) => {
      host.close(reportRead)
      throw err
    },
  )
  return { pid, monitorPid: launched.monitorPid, started, resources: res }
}

/**
 * The child ended before the sync byte and said nothing: only a signal
 * does that (the trampoline and the stage report every failure of their own). SIGKILL is
 * the usual one: the OOM killer, or a cgroup.kill of the container it was
 * cloned into. The kernel's fix of cgroup.kill racing fork (its kill_seq,
 * Linux 6.14 and stable backports) compares the target cgroup's count with
 * the caller's own cgroup's for a CLONE_INTO_CGROUP child: on 6.18, once a
 * cgroup was killed, every child cloned into it is killed at birth, so an
 * exec or a health check into a container being stopped dies this way.
 */
function killedBeforeSync(plan: StartPlan, step: HostStep, status: number | undefined, setupError: unknown): unknown {
  const signal = status === undefined ? 0 : signalOf(status)
  if (signal === 0) return setupError
  const name = parseSignal(String(signal))
  return new KilledError(`${describeHostStep(step)}: the child was killed by ${typeof name === 'number' ? `signal ${name}` : name} (runtime step P${plan.host.indexOf(step) + 1} of ${plan.host.length})`, signal, setupError)
}

function attach(step: Extract<HostStep, { kind: 'network' }>, host: Host, res: Resources, pid: number, o: RunHostOptions): void {
  if (!o.network) throw new TypeError('a network step needs the container it is for (RunHostOptions.network)')
  const ctx = o.network
  const save = (record: NetworkRecord) => {
    res.network = { ctx, record }
    ctx.save(record)
  }
  const note = ctx.note
  try {
    host.attachNetwork(step.plan, pid, {
      ...ctx,
      save,
      ...(note && {
        note: (record: NetworkRecord) => {
          res.network = { ctx, record }
          note(record)
        },
      }),
    })
  } catch (err) {
    // attach gives back what it made before it throws: nothing is left to detach
    res.network = undefined
    throw err
  }
}

/** What `create` makes: the container's filesystem, not what lives only as long as one start (cgroup, fds). */
const FILESYSTEM_KINDS: ReadonlySet<HostStep['kind']> = new Set(['private_dir', 'mkdir', 'bind_source', 'volumes', 'write_file'])

/**
 * `create`: carry out only the plan's filesystem steps (the writable
 * layer, -v sources, volume claims). A failure undoes them and throws; a
 * later start plans with `made` and skips them.
 */
export async function makeFilesystem(plan: StartPlan, host: Host): Promise<Resources> {
  const res = new Resources(host)
  let step: HostStep | undefined
  try {
    for (step of plan.host) if (FILESYSTEM_KINDS.has(step.kind)) prepare(step, host, res)
  } catch (err) {
    await res.undo()
    throw failed(plan, step!, err)
  }
  return res
}

function prepare(step: HostStep, host: Host, res: Resources): void {
  switch (step.kind) {
    case 'private_dir':
      host.ensurePrivateDir(step.path, step.mode, step.what)
      return
    case 'bind_source': {
      // only what this start made goes if it fails, and only while it is empty
      const made = host.mkdirp(step.path, 0o755)
      if (made) res.sources.push(made)
      return
    }
    case 'mkdir':
      host.mkdir(step.path, step.mode, step.owner)
      res.dirs.push(step.path)
      return
    case 'cgroup_leaf':
      res.fds.set(step.slot, host.createCgroupLeaf(step.path))
      res.cgroup = { path: step.path, mount: step.mount }
      return
    case 'cgroup_v1_leaf':
      host.createCgroupV1Leaf(step.path, step.controller)
      res.cgroupsV1.push({ path: step.path, ...(step.base ? { base: step.base } : {}) })
      return
    case 'device_filter': {
      const fd = res.fds.get(step.slot)
      if (fd === undefined) throw new TypeError(`device_filter needs slot "${step.slot}", which no earlier step filled`)
      host.attachDeviceFilter(step.program, fd)
      return
    }
    case 'exec_fifo':
      host.makeFifo(step.path, 0o622)
      res.fifos.push(step.path)
      res.fds.set(step.slot, host.openPath(step.path))
      return
    case 'namespace_open':
      // O_RDONLY, not O_PATH: setns(2) refuses an O_PATH fd
      res.fds.set(step.slot, host.openDirectory(step.path))
      return
    case 'console_socket':
      res.fds.set(step.slot, host.unixConnect(step.path))
      return
    case 'cgroup_open':
      res.fds.set(step.slot, host.openDirectory(step.path))
      return
    case 'cgroup_enable':
      host.enableControllers(step.dir, step.controllers)
      return
    case 'cgroup_write':
      try {
        host.writeFile(step.path, step.value)
      } catch (err) {
        if (!(step.optional && (err as NodeJS.ErrnoException).code === 'ENOENT')) throw err
      }
      return
    case 'idmapped_mount':
      res.fds.set(step.slot, host.idmappedMount(step.source, step.uidMap, step.gidMap))
      return
    case 'pidfd': {
      const fd = host.openProcess(step.pid, step.startTime)
      if (fd === undefined) throw notRunning(step.container)
      res.fds.set(step.slot, fd)
      return
    }
    case 'container_process':
      res.fds.set(step.slot, host.openRunningContainer(step.stateRoot, step.container, step.ref, step.namespace))
      return
    case 'socketpair': {
      const [peer, child] = host.socketpair()
      res.fds.set(step.slot, child)
      res.fds.set(step.peer, peer)
      return
    }
    case 'write_file':
      host.writeFile(step.path, step.content)
      return
    case 'volumes': {
      const { kind: _, section: __, why: ___, ...claims } = step
      host.claimVolumes(claims)
      res.volumes = claims
      return
    }
    default:
      throw new TypeError(`host step ${step.kind} cannot come before the clone`)
  }
}

function cloneChild(
  plan: StartPlan,
  step: Extract<HostStep, { kind: 'clone' }>,
  host: Host,
  res: Resources,
  o: RunHostOptions,
): { pid: number; monitorPid?: number; syncWrite: number; reportRead: number } {
  const made: number[] = []
  let program: number, syncRead: number, syncWrite: number, reportRead: number, reportWrite: number
  // the sync pipe's read end is the "sync" slot when the stage waits itself (plan-sync.ts)
  const slot = (name: string): number => {
    const fd = name === 'sync' ? syncRead : res.fds.get(name)
    if (fd === undefined) throw new TypeError(`the clone needs slot "${name}", which no earlier step filled`)
    return fd
  }
  let fds: Parameters<Host['spawn']>[1]
  try {
    made.push(...([syncRead, syncWrite] = host.pipe()), ...([reportRead, reportWrite] = host.pipe()))
    const keep = step.keep.map((k) => slot(k.slot))
    made.push((program = host.memfd(encodeProgram(plan.child, new Map(step.keep.map((k, i) => [k.slot, keep[i]!]))))))
    const sync = step.keep.some((k) => k.slot === 'sync') ? -1 : syncRead
    fds = { cgroup: step.cgroup ? slot(step.cgroup.slot) : -1, stage: host.stage(), program, sync, report: reportWrite, stdio: o.stdio, keep }
  } catch (err) {
    for (const fd of made) host.close(fd)
    throw err
  }
  let pid: number
  let monitorPid: number | undefined
  try {
    if ('monitor' in step.via) {
      ;({ pid, monitorPid } = host.spawnMonitor(step.via.monitor, step.flags, fds, step.peer ? slot(step.peer.slot) : undefined))
    } else {
      pid = host.spawn(step.flags, fds)
    }
  } catch (err) {
    for (const fd of [program, syncRead, syncWrite, reportRead, reportWrite]) host.close(fd)
    throw err
  }
  // The child (or its monitor) holds its copies now; ours must go, or the report pipe never
  // reaches end of file. Only the runtime's end of a socket pair stays, when it is the parent.
  for (const fd of [program, syncRead, reportWrite]) host.close(fd)
  const peer = step.peer && !('monitor' in step.via) ? step.peer.slot : undefined
  for (const [name, fd] of [...res.fds]) {
    if (name === peer) continue
    host.close(fd)
    res.fds.delete(name)
  }
  return { pid, monitorPid, syncWrite, reportRead }
}
