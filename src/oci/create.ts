/**
 * `create`: the runtime spec's create (runtime.md "Lifecycle" 1-5). The
 * bundle's config is read and checked whole, then planned like any start
 * (planStart), with one difference: the child's program stops before its
 * execve, at a wait_start step, on a FIFO in the container's directory
 * (runc's exec.fifo). Its namespaces, mounts, cgroups, ids, capabilities
 * are all in place; it reports "ready" and blocks until `start` opens the
 * FIFO. Then create writes the pid file and exits: the container's process,
 * whose parent was this short-lived runtime, is reparented to the caller's
 * subreaper (conmon and containerd-shim set PR_SET_CHILD_SUBREAPER), which
 * waits for it, as with runc.
 *
 * A create that fails leaves nothing: no container directory, cgroup or
 * FIFO, and no process.
 */
import { writeFileSync, renameSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { userInfo } from 'node:os'
import { MiniRunError } from '../errors.js'
import { processStartTime } from '../proc-stat.js'
import { planStart, type PathKind } from '../runtime/plan/plan-start.js'
import type { StartPlan } from '../runtime/plan/steps.js'
import { realHost } from '../runtime/container/real-host.js'
import type { Host } from '../runtime/process/host.js'
import { runHostSteps, type Launched } from '../runtime/process/run-host-steps.js'
import { StepError } from '../runtime/process/step-error.js'
import { readBundleConfig } from './config/read-config.js'
import { ociCgroups } from './oci-cgroups.js'
import { completeSpec, raisableAmbient } from './oci-spec.js'
import { fifoPath, removeRecord, reserve, writeRecord, type OciRecord } from './oci-state.js'
import { statSync } from 'node:fs'

export interface CreateOptions {
  /** The OCI state root (--root). */
  root: string
  id: string
  bundle: string
  pidFile?: string
  consoleSocket?: string
  /** Fds 0-2 of the container (it keeps the caller's stdio, as with runc). */
  stdio?: [number, number, number]
  host?: Host
}

export interface Prepared {
  record: OciRecord
  plan: StartPlan
  warnings: string[]
}

/**
 * The record and the plan of a container, checked, nothing made. `gated`:
 * the process waits for `start` (create); otherwise it runs at once (run).
 */
export function prepareOci(o: { root: string; id: string; bundle: string; consoleSocket?: string; gated: boolean }): Prepared {
  const bundle = resolve(o.bundle)
  const config = readBundleConfig(bundle)
  const cgroups = ociCgroups(config.cgroupsPath, o.id, config.spec.linux.resources)
  const spec = completeSpec(raisableAmbient(config.spec, config.warnings), { ...(cgroups.v2 ? { cgroupLeaf: cgroups.v2.path } : {}) })
  if (spec.process.terminal && !o.consoleSocket && o.gated) {
    throw new MiniRunError('process.terminal needs --console-socket: the pty master is sent there (runc: cannot allocate tty if runc will detach without setting console socket)', { code: 'EUSAGE' })
  }
  // the device rules: the v1 controller where the host has one, else a BPF program on the v2 leaf
  const deviceFilter = Boolean(spec.linux.resources?.devices?.length && cgroups.v2 && !cgroups.v1.some((l) => l.controller === 'devices'))
  const deviceCgroup = deviceFilter || cgroups.v1.some((l) => l.controller === 'devices')
  const plan = planStart({
    spec,
    rootfs: { kind: 'directory' },
    ...(cgroups.v2 ? { cgroupPath: cgroups.v2.path, cgroupMount: cgroups.v2.mount } : {}),
    ...(cgroups.v1.length ? { cgroupV1: cgroups.v1 } : {}),
    setgroupsAllowed: true,
    pathKind: hostPathKind,
    ...(o.gated ? { startGate: { fifo: fifoPath(o.root, o.id) } } : {}),
    ...(o.consoleSocket ? { consoleSocket: resolve(o.consoleSocket) } : {}),
    deviceCgroup,
    deviceFilter,
    hookState: { ociVersion: spec.ociVersion, id: o.id, bundle, ...(spec.annotations ? { annotations: spec.annotations } : {}) },
  })
  const record: OciRecord = {
    id: o.id,
    bundle,
    rootfs: spec.root.path,
    created: new Date().toISOString(),
    owner: ownerName(),
    ...(spec.annotations ? { annotations: spec.annotations } : {}),
    ...(cgroups.v2 ? { cgroup: cgroups.v2 } : {}),
    ...(cgroups.v1.length ? { cgroupV1: cgroups.v1 } : {}),
    cgroupsPath: config.cgroupsPath || o.id,
    spec,
  }
  return { record, plan, warnings: config.warnings }
}

/**
 * Record the container, carry out the plan's host steps, and wait for the
 * child's "ready" (or its failure). Returns what was launched, the record
 * holding its pid; on failure everything is given back and the error thrown.
 */
export async function launchOci(root: string, p: Prepared, host: Host, stdio: [number, number, number]): Promise<Launched> {
  reserve(root, p.record.id)
  writeRecord(root, p.record)
  let launched: Launched
  try {
    launched = await runHostSteps(p.plan, host, { stdio })
  } catch (err) {
    removeRecord(root, p.record.id)
    throw err
  }
  p.record.pid = launched.pid
  p.record.pidStartTime = processStartTime(launched.pid)
  writeRecord(root, p.record)
  return launched
}

/** Undo a launch whose child failed or was not wanted: its process, cgroups, record. */
export async function abandonOci(root: string, p: Prepared, launched: Launched, host: Host): Promise<void> {
  try {
    host.kill(launched.pid, 'SIGKILL')
  } catch {
    // gone already
  }
  await launched.resources.undo()
  removeRecord(root, p.record.id)
}

export async function createContainer(o: CreateOptions): Promise<{ pid: number; warnings: string[] }> {
  const host = o.host ?? realHost
  const p = prepareOci({ ...o, gated: true })
  const launched = await launchOci(o.root, p, host, o.stdio ?? [0, 1, 2])
  let failure: StepError | null
  try {
    failure = await launched.started
  } catch (err) {
    await abandonOci(o.root, p, launched, host)
    throw err
  }
  if (failure) {
    await abandonOci(o.root, p, launched, host)
    throw ociStepError(failure)
  }
  launched.resources.closeFds()
  if (o.pidFile) writePidFile(o.pidFile, launched.pid)
  return { pid: launched.pid, warnings: p.warnings }
}

/** runc's words where a caller looks for them: podman maps "executable file not found" to exit 127. */
export function ociStepError(err: StepError): MiniRunError {
  if (err.step?.op === 'find_exec') {
    const file = err.step.file
    const what = err.errno === 2 ? (file.includes('/') ? 'no such file or directory' : 'executable file not found in $PATH') : 'permission denied'
    return new MiniRunError(`exec: ${JSON.stringify(file)}: ${what}`, { code: err.code, cause: err })
  }
  return err
}

/** The pid, no newline, replaced atomically (runc's --pid-file: callers read it as soon as it exists). */
export function writePidFile(path: string, pid: number): void {
  const abs = resolve(path)
  const tmp = join(dirname(abs), `.${process.pid}.pid.tmp`)
  writeFileSync(tmp, String(pid), { mode: 0o644 })
  renameSync(tmp, abs)
}

function hostPathKind(path: string): PathKind {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file'
  } catch {
    return 'missing'
  }
}

function ownerName(): string {
  try {
    return userInfo().username
  } catch {
    return String(process.getuid?.() ?? '')
  }
}
