/**
 * `exec`: a new process in a running container (runc exec), planned by
 * planExec like the Docker mode's exec: it joins the namespaces of the
 * container's process through a checked pidfd, its cgroups, and gets the
 * container's seccomp filter with its own process settings (a
 * process.json, as containerd and conmon pass). --detach returns once the
 * command runs, its pid in --pid-file; the caller, a subreaper, waits for
 * it. Otherwise exec stays, relays a terminal, and exits with its status.
 */
import { MiniRunError } from '../errors.js'
import { planExec } from '../runtime/plan/plan-exec.js'
import { realHost } from '../runtime/container/real-host.js'
import type { Host } from '../runtime/process/host.js'
import { runHostSteps } from '../runtime/process/run-host-steps.js'
import { superviseProcess } from '../runtime/process/supervise.js'
import type { SpecProcess } from '../runtime/spec/spec.js'
import { ociStepError, writePidFile } from './create.js'
import { readRecord, statusOf } from './oci-state.js'
import { resolve } from 'node:path'

export interface OciExecOptions {
  root: string
  id: string
  /** A process.json's process, or the changes to make to the container's own (runc exec ID COMMAND...). */
  process: SpecProcess | ((containers: SpecProcess) => SpecProcess)
  consoleSocket?: string
  pidFile?: string
  detach: boolean
  stdio?: [number, number, number]
  host?: Host
}

/** The command's exit status; undefined with --detach. */
export async function execOci(o: OciExecOptions): Promise<number | undefined> {
  const host = o.host ?? realHost
  const rec = readRecord(o.root, o.id)
  const status = statusOf(o.root, rec)
  if (status !== 'running') throw new MiniRunError(`cannot exec in a ${status === 'creating' ? 'stopped' : status} container`, { code: 'ENOTRUNNING' })
  const proc = typeof o.process === 'function' ? o.process(rec.spec.process) : o.process
  if (proc.terminal && o.detach && !o.consoleSocket) {
    throw new MiniRunError('cannot allocate tty if mini-run will detach without setting console socket', { code: 'EUSAGE' })
  }
  const plan = planExec({
    spec: rec.spec,
    container: o.id,
    pid: rec.pid!,
    startTime: rec.pidStartTime!,
    process: proc,
    setgroupsAllowed: true,
    ...(rec.cgroup ? { cgroupPath: rec.cgroup.path } : {}),
    ...(rec.cgroupV1?.length ? { cgroupV1: rec.cgroupV1 } : {}),
    ...(o.consoleSocket ? { consoleSocket: resolve(o.consoleSocket) } : {}),
  })
  const launched = await runHostSteps(plan, host, { stdio: o.stdio ?? [0, 1, 2] })
  if (o.detach) {
    let failure
    try {
      failure = await launched.started
    } finally {
      launched.resources.closeFds()
    }
    if (failure) throw ociStepError(failure)
    if (o.pidFile) writePidFile(o.pidFile, launched.pid)
    return undefined
  }
  if (o.pidFile) writePidFile(o.pidFile, launched.pid)
  try {
    return await superviseProcess(launched, host, { forwardSignals: true })
  } finally {
    launched.resources.closeFds()
  }
}

export interface ExecFlags {
  args: string[]
  tty?: boolean
  cwd?: string
  env?: string[]
  /** uid[:gid] */
  user?: string
  additionalGids?: number[]
  caps?: string[]
  noNewPrivs?: boolean
}

/** runc exec without --process: the container's process with the command and the flags' changes. */
export function execProcess(base: SpecProcess, f: ExecFlags): SpecProcess {
  if (f.args.length === 0) throw new MiniRunError('exec needs a command (or --process FILE)', { code: 'EUSAGE' })
  const p: SpecProcess = { ...base, args: f.args, terminal: f.tty === true }
  delete p.consoleSize
  if (f.cwd) {
    if (!f.cwd.startsWith('/')) throw new MiniRunError(`--cwd ${f.cwd} must be an absolute path`, { code: 'EUSAGE' })
    p.cwd = f.cwd
  }
  if (f.env?.length) {
    const env = new Map(base.env.map((e) => [e.slice(0, e.indexOf('=')), e] as const))
    for (const e of f.env) {
      if (e.indexOf('=') <= 0) throw new MiniRunError(`--env ${JSON.stringify(e)} is not KEY=VALUE`, { code: 'EUSAGE' })
      env.set(e.slice(0, e.indexOf('=')), e)
    }
    p.env = [...env.values()]
  }
  if (f.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(f.user)
    if (!m) throw new MiniRunError(`--user ${JSON.stringify(f.user)}: use UID[:GID] (numbers)`, { code: 'EUSAGE' })
    p.user = { ...base.user, uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : base.user.gid }
  }
  if (f.additionalGids?.length) p.user = { ...p.user, additionalGids: f.additionalGids }
  if (f.caps?.length) {
    const caps = f.caps.map((c) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`))
    const add = (set: string[] | undefined) => [...new Set([...(set ?? []), ...caps])]
    const c = base.capabilities ?? {}
    p.capabilities = { ...c, bounding: add(c.bounding), effective: add(c.effective), permitted: add(c.permitted) }
  }
  if (f.noNewPrivs) p.noNewPrivileges = true
  return p
}
