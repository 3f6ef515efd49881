/**
 * `exec`: run a command in a running container, with the same namespaces,
 * cgroup, capabilities, no_new_privs and user rules as its first process.
 *
 * Everything goes through a pidfd of the container's process, checked to be
 * that process (process/container-process.ts): its root for -u, its
 * namespaces for the command (the plan's pidfd step). A recorded pid alone
 * may name a host process by now.
 */
import { closeSync, existsSync, readFileSync } from 'node:fs'
import { MiniRunError, UsageError } from '../../errors.js'
import { planExec } from '../plan/plan-exec.js'
import type { StartPlan } from '../plan/steps.js'
import { notRunning, openContainerProcess, openProcessRoot } from '../process/container-process.js'
import type { Host } from '../process/host.js'
import { runHostSteps, type Launched } from '../process/run-host-steps.js'
import { StepError } from '../process/step-error.js'
import { execErrorOf, holdSignals, superviseProcess, type SuperviseOptions } from '../process/supervise.js'
import { CAPABILITIES } from '../spec/capabilities.js'
import { hostCapabilities } from '../spec/host-capabilities.js'
import { parseGroup, parsePasswd, resolveUser } from '../spec/resolve-user.js'
import type { SpecProcess } from '../spec/spec.js'
import { readFileInRoot } from './container-files.js'
import { execLinkEnv } from './container-links.js'
import type { ContainerInfo } from './containers.js'
import { realHost } from './real-host.js'

export interface ExecOptions {
  command: string[]
  env?: string[]
  workdir?: string
  user?: string
  tty?: boolean
  consoleSize?: { height: number; width: number }
  /**
   * --privileged: every capability the runtime holds, in the bounding,
   * permitted and effective sets, as Docker's execSetPlatformOpt gives them.
   * Only the process changes: the container's seccomp filter, masked paths
   * and mounts are its own (runc's setns init applies the config's filter).
   */
  privileged?: boolean
  /** Its state root: a container with --link gets the links' variables too, as Docker's exec does (container-links.ts). */
  stateRoot?: string
  /** exec -d: cloned by a mini-run-monitor of its own, which writes its exit code here (exec-records.ts). */
  detached?: { exitFile: string; exitCommand?: string[] }
}

export interface ExecIo {
  stdio: [number, number, number]
  forwardSignals?: boolean
  /** -t without -i: the command's terminal gets no input. Default true. */
  interactive?: boolean
  host?: Host
  /** -it's detach keys (the caller's): once typed, the command is left running with its terminal, and 'detached' returned. */
  detachFilter?: SuperviseOptions['detachFilter']
}

/** The plan of an exec (what `exec --explain` prints). */
export function prepareExec(c: ContainerInfo, o: ExecOptions): StartPlan {
  if (c.status !== 'running' || !c.pid || c.pidStartTime === undefined) throw notRunning(c.id)
  // a frozen cgroup would freeze the command too, before it could do anything (Docker refuses it so)
  if (c.paused) throw new MiniRunError(`Container ${c.id.slice(0, 12)} is paused, unpause the container before exec`, { code: 'EPAUSED' })
  if (!c.spec) throw new MiniRunError(`container ${c.id.slice(0, 12)} has no recorded spec to exec with (removed meanwhile, or made by an older mini-run)`)
  if (o.command.length === 0) throw new UsageError('"exec" requires a command')
  if (o.workdir !== undefined && !o.workdir.startsWith('/')) throw new UsageError(`the working directory '${o.workdir}' is invalid, it needs to be an absolute path`)
  const base = c.spec.process
  const env = new Map(base.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
  const user = o.user === undefined ? undefined : startFailure(() => resolveExecUser(c, o.user!))
  // HOME set by mini-run is the container user's: another user's is its passwd entry's, as runc sets it
  if (user && c.startInput?.given?.envDefaults?.includes('HOME')) env.set('HOME', user.home)
  for (const e of o.env ?? []) {
    const eq = e.indexOf('=')
    // refused as run refuses it (container-spec.ts): a variable without a name
    if (eq === 0 || e === '') throw new UsageError(`invalid environment variable: ${e}`)
    if (eq > 0) env.set(e.slice(0, eq), e.slice(eq + 1))
    else if (process.env[e] !== undefined) env.set(e, process.env[e]!)
  }
  if (o.tty) env.set('TERM', env.get('TERM') ?? 'xterm')
  const entries = [...env].map(([k, v]) => `${k}=${v}`)
  const linked = o.stateRoot !== undefined ? execLinkEnv(c, o.stateRoot, entries) : []
  const proc: SpecProcess = {
    ...base,
    terminal: o.tty ?? false,
    consoleSize: o.consoleSize,
    args: o.command,
    env: [...linked, ...entries],
    cwd: o.workdir ?? base.cwd,
    user: user ? { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } : base.user,
    ...(o.privileged && { capabilities: allCapabilities() }),
  }
  return planExec({
    spec: c.spec,
    container: c.id,
    pid: c.pid,
    startTime: c.pidStartTime,
    process: proc,
    setgroupsAllowed: setgroupsAllowed(c.pid),
    cgroupPath: c.cgroup && existsSync(c.cgroup) ? c.cgroup : undefined,
    // its v1 leaves too (a hybrid host): under --memory or --cpuset-cpus as the container's own processes are, as runc exec joins every cgroup
    ...(c.cgroupV1?.length && { cgroupV1: c.cgroupV1.filter((leaf) => existsSync(leaf.path)) }),
    ...(c.startInput?.joins?.pid && { pidOf: c.startInput.joins.pid }),
    // no output kept (Docker's detached exec keeps none): the monitor reaps it, records its exit, then execs the exit command (its event)
    ...(o.detached && { via: { monitor: { log: '/dev/null', logMaxSize: 0, logMaxFile: 1, exitFile: o.detached.exitFile, interactive: false, ...(o.detached.exitCommand && { exitCommand: o.detached.exitCommand }) } } }),
  })
}

export async function execInContainer(c: ContainerInfo, plan: StartPlan, io: ExecIo & { detachFilter: ExecIo['detachFilter'] }): Promise<number | 'detached'>
export async function execInContainer(c: ContainerInfo, plan: StartPlan, io: ExecIo): Promise<number>
export async function execInContainer(c: ContainerInfo, plan: StartPlan, io: ExecIo): Promise<number | 'detached'> {
  const host = io.host ?? realHost
  // held until supervised: the process may run before superviseProcess listens (supervise.ts)
  const held = io.forwardSignals ? holdSignals() : undefined
  let launched: Launched
  try {
    launched = await runHostSteps(plan, host, { stdio: io.stdio })
  } catch (err) {
    held?.release()
    throw err
  }
  try {
    return await superviseProcess(launched, host, { forwardSignals: io.forwardSignals ?? false, input: io.interactive !== false, ...(held && { held }), detachFilter: io.detachFilter })
  } catch (err) {
    // it exited after the check: the pidfd names it still, and setns says it is gone
    if (err instanceof StepError && err.step?.op === 'setns' && err.code === 'ESRCH') throw notRunning(c.id, err)
    throw err
  } finally {
    launched.resources.closeFds()
  }
}

/**
 * exec --privileged's sets: the runtime's own bounding set (host-capabilities.ts),
 * as run --privileged's. None inheritable: Docker gave exec the whole set
 * there too until CVE-2022-24769 (GHSA-2mm7-x5h6-5pvq), which let a
 * program run by a non-root user gain capabilities through it.
 */
function allCapabilities(): NonNullable<SpecProcess['capabilities']> {
  const all = hostCapabilities() ?? [...CAPABILITIES]
  return { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] }
}

/**
 * Whether the container's user namespace lets its processes call
 * setgroups(2): as root, and rootless when newgidmap wrote the map; not
 * when an unprivileged writer had to deny it first (user_namespaces(7)).
 */
function setgroupsAllowed(pid: number): boolean {
  if (process.getuid?.() === 0) return true
  try {
    return readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'allow'
  } catch {
    return false
  }
}

/** -u: the container's own /etc/passwd and /etc/group, read inside its root through a checked pidfd. */
function resolveExecUser(c: ContainerInfo, spec: string): SpecProcess['user'] & { home: string } {
  const pidfd = openContainerProcess(c)
  if (pidfd === undefined) throw notRunning(c.id)
  try {
    const root = openProcessRoot(pidfd, c.pid!)
    if (root === undefined) throw notRunning(c.id)
    try {
      const read = (path: string) => readFileInRoot(root, path, `/${path} of container ${c.id.slice(0, 12)}`) ?? ''
      const resolved = resolveUser(spec, parsePasswd(read('etc/passwd')), parseGroup(read('etc/group')))
      return { uid: resolved.uid, gid: resolved.gid, additionalGids: resolved.additionalGids, home: resolved.home }
    } finally {
      closeSync(root)
    }
  } finally {
    closeSync(pidfd)
  }
}

/**
 * What fails an exec's process at its start (its user, as here; a step of
 * its plan, as its working directory: exec.ts) exits 126, as Docker's
 * daemon ends an exec it could not start.
 */
export function startFailure<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    // a container that stopped meanwhile is the verb's own error (1), as before the exec
    const code = (err as { code?: unknown }).code
    if (err instanceof Error && typeof (err as { exitCode?: unknown }).exitCode !== 'number' && code !== 'ENOTRUNNING' && code !== 'ENOCONTAINER') Object.assign(err, { exitCode: 126 })
    throw err
  }
}

/** A step of an exec's plan that failed (its working directory): the process did not start, 126 as above. */
export function stepFailedToStart(err: unknown): never {
  if (err instanceof StepError) Object.assign(err, { exitCode: 126 })
  throw err
}
