/**
 * `exec`: run a command in a running container, with the same namespaces,
 * cgroup, capabilities, no_new_privs and user rules as its first process.
 *
 * Everything goes through a pidfd of the container's process, checked to be
 * that process (container-process.ts): its root for -u, its namespaces for
 * the command. A recorded pid alone may name a host process by now.
 */
import { closeSync, existsSync, openSync } from 'node:fs'
import { MiniRunError, UsageError } from '../../errors.js'
import { readFileInRoot } from './container-files.js'
import { openContainerProcess, openProcessRoot } from './container-process.js'
import type { ContainerInfo } from './containers.js'
import { StepError } from '../process/launch.js'
import { planExec } from '../plan/plan-exec.js'
import { parseGroup, parsePasswd, resolveUser } from '../spec/resolve-user.js'
import type { SpecProcess } from '../spec/spec.js'
import { superviseProcess } from '../process/supervise.js'

export interface ExecOptions {
  command: string[]
  env?: string[]
  workdir?: string
  user?: string
  tty?: boolean
  consoleSize?: { height: number; width: number }
  stdio: [number, number, number]
  forwardSignals?: boolean
  /** Print the steps instead of running them. */
  plan?: (plan: ReturnType<typeof planExec>) => void
}

function notRunning(c: ContainerInfo, cause?: unknown): MiniRunError {
  return new MiniRunError(`container ${c.id.slice(0, 12)} is not running`, { code: 'ENOTRUNNING', ...(cause ? { cause } : {}) })
}

export async function execInContainer(c: ContainerInfo, o: ExecOptions): Promise<number> {
  if (c.status !== 'running' || !c.pid) throw notRunning(c)
  if (!c.spec) throw new MiniRunError(`container ${c.id.slice(0, 12)} has no recorded spec to exec with`)
  if (o.command.length === 0) throw new UsageError('"exec" requires a command')
  if (o.workdir !== undefined && !o.workdir.startsWith('/')) throw new UsageError(`the working directory '${o.workdir}' is invalid, it needs to be an absolute path`)
  const pidfd = openContainerProcess(c)
  if (pidfd === undefined) throw notRunning(c)
  try {
    const base = c.spec.process
    const env = new Map(base.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
    for (const e of o.env ?? []) {
      const eq = e.indexOf('=')
      if (eq > 0) env.set(e.slice(0, eq), e.slice(eq + 1))
      else if (process.env[e] !== undefined) env.set(e, process.env[e]!)
    }
    const user = o.user === undefined ? base.user : resolveExecUser(c, c.pid, pidfd, o.user)
    if (o.tty) env.set('TERM', env.get('TERM') ?? 'xterm')
    const proc: SpecProcess = {
      ...base,
      terminal: o.tty ?? false,
      ...(o.consoleSize ? { consoleSize: o.consoleSize } : {}),
      args: o.command,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      cwd: o.workdir ?? base.cwd,
      user,
    }
    const rootless = process.getuid?.() !== 0
    const plan = planExec({
      spec: c.spec,
      pid: c.pid,
      pidfd,
      process: proc,
      setgroupsAllowed: !rootless,
      ...(o.tty ? { ptySocketFd: -1 } : {}),
      ...(c.cgroup ? { cgroupPath: c.cgroup } : {}),
    })
    if (o.plan) {
      o.plan(plan)
      return 0
    }
    const cgroupFd = c.cgroup && existsSync(c.cgroup) ? openSync(c.cgroup, 'r') : undefined
    try {
      return await superviseProcess({
        plan,
        stdio: o.stdio,
        ...(cgroupFd !== undefined ? { cgroupFd } : {}),
        keepFds: [pidfd],
        pty: o.tty ?? false,
        forwardSignals: o.forwardSignals ?? false,
      })
    } catch (err) {
      // it exited after the check: the pidfd names it still, and setns says it is gone
      if (err instanceof StepError && err.step?.op === 'setns' && err.code === 'ESRCH') throw notRunning(c, err)
      throw err
    } finally {
      if (cgroupFd !== undefined) closeSync(cgroupFd)
    }
  } finally {
    closeSync(pidfd)
  }
}

/** -u: the container's own /etc/passwd and /etc/group, read inside its root. */
function resolveExecUser(c: ContainerInfo, pid: number, pidfd: number, spec: string): SpecProcess['user'] {
  const root = openProcessRoot(pidfd, pid)
  if (root === undefined) throw notRunning(c)
  try {
    const read = (path: string) => readFileInRoot(root, path, `/${path} of container ${c.id.slice(0, 12)}`) ?? ''
    const resolved = resolveUser(spec, parsePasswd(read('etc/passwd')), parseGroup(read('etc/group')))
    return { uid: resolved.uid, gid: resolved.gid, additionalGids: resolved.additionalGids }
  } finally {
    closeSync(root)
  }
}
