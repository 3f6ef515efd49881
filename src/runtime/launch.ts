/**
 * Launch a planned container process: clone it, do the parent's part of the
 * handshake, and learn whether its final execve succeeded.
 *
 * The protocol, with the native side in native/minirun.h (mr_spawn):
 *   parent                               child (trampoline, then stage)
 *   clone3(flags, CLONE_INTO_CGROUP) ->  blocks reading the sync pipe
 *   write setgroups/uid_map/gid_map
 *   afterClone(pid): the network
 *   write 1 byte to the sync pipe    ->  execs the sealed stage, runs the steps
 *   read the report pipe             <-  a failed step writes {index, errno};
 *                                        a successful execve closes the pipe
 */
import { closeSync, writeFileSync, writeSync } from 'node:fs'
import { MiniRunError } from '../errors.js'
import * as native from '../native/lib.js'
import { encodeProgram } from './encode-program.js'
import { STEP_TRAMPOLINE } from './step-codes.js'
import { describeStep, type ChildStep, type StartPlan } from './steps.js'
import type { IdMapping } from './spec.js'

let stageFd: number | undefined

/** The sealed memfd copy of mini-run-stage, made once per process. */
function sealedStage(): number {
  stageFd ??= native.sealedCopy(native.stagePath)
  return stageFd
}

/** A step of the start sequence failed in the child. */
export class StepError extends MiniRunError {
  readonly step: ChildStep | undefined
  readonly index: number
  readonly total: number
  readonly errno: number
  constructor(steps: readonly ChildStep[], index: number, errno: number) {
    const step = index === STEP_TRAMPOLINE ? undefined : steps[index]
    const what = step ? describeStep(step) : 'start the stage program'
    const where = step ? ` (step ${index + 1} of ${steps.length})` : ''
    super(`${what}: ${native.strerror(errno)}${where}`, { code: native.errnoName(errno) })
    this.step = step
    this.index = index
    this.total = steps.length
    this.errno = errno
  }
}

export interface LaunchOptions {
  plan: StartPlan
  /** Fds 0-2 of the container (ignored for 0-2 when the plan opens a pty). */
  stdio: [number, number, number]
  cgroupFd?: number
  /** The child's end of the pty socket, inherited by number. */
  keepFds?: number[]
  /** Id maps to write (user namespace only). */
  idMaps?: { uid: IdMapping[]; gid: IdMapping[]; denySetgroups: boolean }
  /**
   * Who clones the child: this process by default (mr_spawn), or for run -d
   * the monitor, which becomes its parent (start-detached.ts).
   */
  spawnChild?: (cloneFlags: number, fds: native.SpawnFds) => number
  /**
   * Runs once the child's namespaces exist and before its steps start: the
   * network is set up here (src/network/attach.ts). A throw kills the child.
   */
  afterClone?: (pid: number) => void
}

export interface Launched {
  pid: number
  /** Resolves to null once the command runs, or the failure. */
  started: Promise<StepError | null>
}

export function launch(o: LaunchOptions): Launched {
  const program = native.memfdData(encodeProgram(o.plan.steps))
  const [syncRead, syncWrite] = native.pipe()
  const [reportRead, reportWrite] = native.pipe()
  let pid: number
  try {
    pid = (o.spawnChild ?? native.spawn)(o.plan.cloneFlags, {
      cgroup: o.cgroupFd ?? -1,
      stage: sealedStage(),
      program,
      sync: syncRead,
      report: reportWrite,
      stdio: o.stdio,
      keep: o.keepFds ?? [],
    })
  } catch (err) {
    for (const fd of [program, syncRead, syncWrite, reportRead, reportWrite]) closeSync(fd)
    throw new MiniRunError(`clone3: ${(err as Error).message.replace(/^clone3: /, '')}`, { cause: err })
  }
  // The child holds its copies now; ours must go, or the report pipe never reaches EOF.
  for (const fd of [program, syncRead, reportWrite]) closeSync(fd)
  let setupError: unknown
  try {
    if (o.idMaps) writeIdMaps(pid, o.idMaps)
    o.afterClone?.(pid)
    writeSync(syncWrite, Buffer.from([1]))
  } catch (err) {
    // EPIPE: the trampoline failed before waiting for us and said why on
    // the report pipe; anything else is ours, and the child must go.
    setupError = err
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
  closeSync(syncWrite)
  const started = native.readReport(reportRead).then(
    (report) => {
      closeSync(reportRead)
      if (report) return new StepError(o.plan.steps, report.step, report.errno)
      if (setupError instanceof MiniRunError) throw setupError
      if (setupError) {
        throw new MiniRunError(`set up container process ${pid}: ${(setupError as Error).message}`, { cause: setupError })
      }
      return null
    },
    (err: unknown) => {
      closeSync(reportRead)
      throw err
    },
  )
  return { pid, started }
}

/**
 * user_namespaces(7): the maps are written once, from outside, by a process
 * with the right capabilities over the namespace; an unprivileged writer must
 * deny setgroups first.
 */
function writeIdMaps(pid: number, maps: { uid: IdMapping[]; gid: IdMapping[]; denySetgroups: boolean }): void {
  const format = (m: IdMapping[]) => m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('')
  if (maps.denySetgroups) writeFileSync(`/proc/${pid}/setgroups`, 'deny')
  writeFileSync(`/proc/${pid}/uid_map`, format(maps.uid))
  writeFileSync(`/proc/${pid}/gid_map`, format(maps.gid))
}
