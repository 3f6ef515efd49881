/**
 * `exec`: run a command in a running container, with the same namespaces,
 * cgroup, capabilities, no_new_privs and user rules as its first process.
 */
import { closeSync, existsSync, openSync } from 'node:fs'
import { MiniRunError, UsageError } from '../errors.js'
import type { ContainerInfo } from './containers.js'
import { readImageFile } from './image-files.js'
import { planExec } from './plan-exec.js'
import { parseGroup, parsePasswd, resolveUser } from './resolve-user.js'
import type { SpecProcess } from './spec.js'
import { superviseProcess } from './supervise.js'

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

export async function execInContainer(c: ContainerInfo, o: ExecOptions): Promise<number> {
  if (c.status !== 'running' || !c.pid) throw new MiniRunError(`container ${c.id.slice(0, 12)} is not running`, { code: 'ENOTRUNNING' })
  if (!c.spec) throw new MiniRunError(`container ${c.id.slice(0, 12)} has no recorded spec to exec with`)
  if (o.command.length === 0) throw new UsageError('"exec" requires a command')
  const base = c.spec.process
  const env = new Map(base.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
  for (const e of o.env ?? []) {
    const eq = e.indexOf('=')
    if (eq > 0) env.set(e.slice(0, eq), e.slice(eq + 1))
    else if (process.env[e] !== undefined) env.set(e, process.env[e]!)
  }
  let user = base.user
  if (o.user !== undefined) {
    // the container's own files, read through its root: never the host's
    const root = [`/proc/${c.pid}/root`]
    const resolved = resolveUser(o.user, parsePasswd(readImageFile(root, 'etc/passwd') ?? ''), parseGroup(readImageFile(root, 'etc/group') ?? ''))
    user = { uid: resolved.uid, gid: resolved.gid, additionalGids: resolved.additionalGids }
  }
  if (o.workdir !== undefined && !o.workdir.startsWith('/')) throw new UsageError(`the working directory '${o.workdir}' is invalid, it needs to be an absolute path`)
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
      pty: o.tty ?? false,
      forwardSignals: o.forwardSignals ?? false,
    })
  } finally {
    if (cgroupFd !== undefined) closeSync(cgroupFd)
  }
}
