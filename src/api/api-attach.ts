/**
 * attach and exec: the endpoints that turn a request into a stream of a
 * process's input and output (api-stream.ts).
 *
 * `docker run` attaches before it starts the container: an attach to a
 * container that does not run yet is kept, and the start is made through it
 * (startAttached), so nothing the container writes first is lost and its
 * input, with stdin, goes in from the start. An attach to a running container is
 * `mini-run attach`, input and output. An exec is `mini-run exec`; with a
 * terminal, on a pty script(1) makes (cli-call.ts spawnCliOnPty).
 */
import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { ApiError, errorLine, spawnCli, spawnCliOnPty, statusOf } from './cli-call.js'
import { containerOf } from './container-ref.js'
import { apiHeaders, parseJson, queryBool, readJson, sendJson } from './api-http.js'
import { pipeOutput } from './api-stream.js'
import { logPathOf, streamLog } from './api-logs.js'
import { track, type Call, type ExecRecord, type PendingAttach, type Service, type StreamCall, type StreamTarget } from './service.js'
import { currentInfo, type ContainerInfo } from '../runtime/container/containers.js'
import { resizeContainerTerminal } from '../runtime/container/terminal-size.js'
import { startedSince } from './container-ref.js'
import { randomHex } from '../random.js'
import { childPids, readProcStat } from '../proc-stat.js'
import { readExecStatus, removeExecRecord } from '../runtime/container/exec-records.js'

const isTty = (c: ContainerInfo) => c.spec?.process.terminal === true

function keepsLog(svc: Service, c: ContainerInfo): boolean {
  try {
    logPathOf(svc, c)
    return true
  } catch {
    return false
  }
}

/** The client's input into a child's stdin, its end closing the child's. */
function feedInput(target: StreamTarget, child: ChildProcess): void {
  if (!target.input || !child.stdin) return
  target.input.pipe(child.stdin)
  child.stdin.on('error', () => {})
}

async function stream(
  svc: Service,
  target: StreamTarget,
  args: string[],
  o: { raw: boolean; stdin: boolean; stdout: boolean; stderr: boolean; pty?: boolean; spawned?: (child: ChildProcess) => void },
): Promise<number> {
  const child = track(svc, o.pty ? spawnCliOnPty(svc.global, args) : spawnCli(svc.global, args, o.stdin ? 'pipe' : 'ignore'))
  o.spawned?.(child)
  // on a pty without the client's input, stdin stays open (its end would be the terminal's ^D) until the command ends
  if (o.stdin) feedInput(target, child)
  else target.input?.resume() // nothing is read from it, but its end
  const code = await pipeOutput(child, target.out, o)
  target.out.end()
  return code
}

/**
 * How long a hijacked attach waits between its 101 head and the log it
 * replays. The Docker SDK for Python reads the head through a buffered
 * file, then reads the raw socket beneath it: what came in with the head,
 * in the same read, is lost (docker/api/client.py _get_raw_response_socket).
 * A log read at once is there before a loaded client wakes.
 */
const UPGRADE_SETTLE_MS = 100

/**
 * POST /containers/ID/attach. Docker's logs= and stream= (each false unless
 * given): logs sends what the container has written so far, stream what it
 * writes from now on (and takes input). Both without input is the log
 * followed, with neither a gap nor a line twice between the two; with
 * input, the log, then `mini-run attach`.
 */
export async function attachRoute({ svc, params, query, target }: StreamCall): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const want: PendingAttach = { target, stdin: queryBool(query, 'stdin'), stdout: queryBool(query, 'stdout'), stderr: queryBool(query, 'stderr') }
  const live = queryBool(query, 'stream')
  // a container that keeps no log (--log-driver none) has none to send: the attach goes on without
  const logs = queryBool(query, 'logs') && keepsLog(svc, c)
  target.begin()
  // not before an attach that waits for the start (below): a start meanwhile would find none waiting
  if (logs && target.input && (!live || c.status === 'running')) await sleep(UPGRADE_SETTLE_MS)
  if (!live || (logs && !want.stdin && c.status === 'running')) {
    target.input?.resume()
    if (logs) await streamLog(svc, c, target.out, { stdout: want.stdout, stderr: want.stderr, follow: live }).catch(() => {})
    target.out.end()
    return
  }
  if (logs) await streamLog(svc, c, target.out, { stdout: want.stdout, stderr: want.stderr, follow: false }).catch(() => {})
  if (c.status === 'running') {
    await stream(svc, target, ['attach', ...(want.stdin ? [] : ['--no-stdin']), '--no-sig-proxy', c.id], { raw: isTty(c), ...want })
    return
  }
  const list = svc.pendingAttach.get(c.id) ?? []
  svc.pendingAttach.set(c.id, [...list, want])
  const leave = () => {
    const left = (svc.pendingAttach.get(c.id) ?? []).filter((p) => p !== want)
    if (left.length) svc.pendingAttach.set(c.id, left)
    else svc.pendingAttach.delete(c.id)
  }
  target.out.once('close', leave)
  // started by someone else (a shell's `mini-run start`), or removed: not waited for forever
  const watch = setInterval(() => {
    if (!svc.pendingAttach.get(c.id)?.includes(want)) return clearInterval(watch)
    const now = currentInfo(svc.stateRoot, c.id)
    if (now !== undefined && now.status !== 'running' && now.startedAt === c.startedAt) return
    clearInterval(watch)
    leave()
    if (now?.status === 'running') void stream(svc, target, ['attach', ...(want.stdin ? [] : ['--no-stdin']), '--no-sig-proxy', c.id], { raw: isTty(c), ...want })
    else target.out.end()
  }, 1000)
  target.out.once('close', () => clearInterval(watch))
}

/**
 * Start a container that has attach connections waiting: the first one's
 * through `mini-run start --attach [--interactive]`, attached before the
 * container runs, so its first output (a shell's prompt) is there and its
 * input goes in; any other gets the log from the start. Resolves once the
 * container runs (or has run); a start that fails before is an ApiError.
 */
export async function startAttached(svc: Service, c: ContainerInfo, pending: PendingAttach[]): Promise<void> {
  svc.pendingAttach.delete(c.id)
  const [first, ...rest] = pending as [PendingAttach, ...PendingAttach[]]
  const since = Date.now()
  // --no-sig-proxy: a client gone (the SIGTERM its child gets) leaves the container running, as a plain start does
  const child = track(svc, spawnCli(svc.global, ['start', '--attach', '--no-sig-proxy', ...(first.stdin ? ['--interactive'] : []), c.id], first.stdin ? 'pipe' : 'ignore'))
  // its error, if it fails before the container runs: the last of stderr until then
  let stderr = ''
  const keep = (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4096))
  child.stderr!.on('data', keep)
  if (first.stdin) feedInput(first.target, child)
  else first.target.input?.resume()
  let started!: (ok: boolean) => void
  const holdStderr = new Promise<boolean>((resolve) => (started = resolve))
  void pipeOutput(child, first.target.out, { raw: isTty(c), stdout: first.stdout, stderr: first.stderr, holdStderr }).then(() => first.target.out.end())
  let ended: number | undefined
  const closed = new Promise<number>((resolve) => child.once('close', (code) => resolve((ended = code ?? 128))))
  // started: a start since this one's (its state's start time, or its start event once a --rm one is gone), or `start -a` ended
  const startedNow = () => {
    const now = currentInfo(svc.stateRoot, c.id)
    return now !== undefined ? now.startedAt !== c.startedAt || now.status === 'running' : startedSince(svc.stateRoot, c.id, since)
  }
  while (ended === undefined && !startedNow()) await sleep(20)
  child.stderr!.off('data', keep)
  if (!startedNow()) {
    await closed
    if (!startedNow()) {
      started(false)
      const message = errorLine(stderr) || `start exited with ${ended}`
      for (const p of rest) p.target.fail(new ApiError(statusOf(message), message))
      throw new ApiError(statusOf(message), message)
    }
  }
  started(true)
  for (const p of rest) {
    p.target.input?.resume()
    void streamLog(svc, c, p.target.out, { stdout: p.stdout, stderr: p.stderr, follow: true })
      .catch(() => {})
      .finally(() => p.target.out.end())
  }
}

/**
 * resize: a terminal's new size for the container's pty (terminal-size.ts).
 * A container without a terminal has none to resize, as containerd
 * ignores it then.
 */
export async function resizeRoute({ svc, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const [rows, cols] = terminalSize(query)
  if (c.status !== 'running') throw new ApiError(409, `Container ${c.id} is not running`)
  if (isTty(c)) resizeContainerTerminal(c, rows, cols)
  res.writeHead(200, apiHeaders()).end()
}

/** ?h=ROWS&w=COLUMNS, each 0-65535 (a winsize's unsigned shorts). */
function terminalSize(query: URLSearchParams): [number, number] {
  const size = (name: string) => {
    const v = query.get(name) ?? ''
    if (!/^\d{1,5}$/.test(v) || Number(v) > 0xffff) throw new ApiError(400, `invalid terminal size: ${name}=${v}`)
    return Number(v)
  }
  return [size('h'), size('w')]
}

/** How long an exec's resize waits for its terminal, as Docker's daemon waits for the exec to start (daemon/resize.go). */
const EXEC_RESIZE_WAIT_MS = 10_000

/**
 * POST /exec/ID/resize: `docker exec -it`'s window size. The exec runs as
 * `mini-run exec -it` on script(1)'s pty (spawnCliOnPty), and follows that
 * terminal's size onto the container's pty at each SIGWINCH (terminal.ts):
 * so the size is set on script's pty, through the stdin of the process
 * script runs (terminal-size.ts), once there is one. An exec without a
 * terminal has none to resize.
 */
export async function execResizeRoute({ svc, res, params, query }: Call): Promise<void> {
  const e = execOf(svc, params[0]!)
  const [rows, cols] = terminalSize(query)
  // a detached exec's terminal, if any, is its monitor's (execArgs): not resized
  if ((e.config as { Tty?: boolean }).Tty === true && !e.detached) {
    const deadline = Date.now() + EXEC_RESIZE_WAIT_MS
    for (;;) {
      const pid = e.terminalPid === undefined ? undefined : onlyChild(e.terminalPid)
      const stat = pid === undefined ? undefined : readProcStat(pid)
      if (pid !== undefined && stat && resizeContainerTerminal({ pid, pidStartTime: stat.startTime }, rows, cols)) break
      if (e.exitCode !== null) throw new ApiError(409, `exec ${e.id} is not running`)
      if (Date.now() > deadline) throw new ApiError(500, 'timeout waiting for exec session ready')
      await sleep(20)
    }
  }
  res.writeHead(201, apiHeaders()).end()
}

/** The one child of a process (proc-stat.ts childPids), or undefined. */
function onlyChild(pid: number): number | undefined {
  const kids = childPids(pid)
  return kids.length === 1 ? kids[0] : undefined
}

export async function execCreateRoute({ svc, req, res, params }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const config = await readJson(req)
  // Docker's order (daemon/exec.go getActiveContainer): a restarting container counts as running there
  if (c.restarting) throw new ApiError(409, `Container ${c.id} is restarting, wait until the container is running`)
  if (c.status !== 'running') throw new ApiError(409, `Container ${c.id} is not running`)
  if (c.paused) throw new ApiError(409, `Container ${c.id} is paused, unpause the container before exec`)
  const cmd = config.Cmd
  if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((s) => typeof s === 'string')) throw new ApiError(400, 'No exec command specified')
  const words = [...cmd, ...((config.Env ?? []) as unknown[]), config.User ?? '', config.WorkingDir ?? '']
  if (!Array.isArray(config.Env ?? []) || !words.every((w) => typeof w === 'string' && !w.includes('\0'))) throw new ApiError(400, 'exec: Cmd, Env, User and WorkingDir must be strings without NUL')
  const id = randomHex(32)
  forgetOldExecs(svc)
  svc.execs.set(id, { id, containerId: c.id, config, running: false, exitCode: null, pid: 0, created: Date.now() })
  sendJson(res, 201, { Id: id })
}

/** Exec records a client can no longer want: ended 10 minutes ago, or never started in an hour (Docker keeps them with the container). */
function forgetOldExecs(svc: Service): void {
  const now = Date.now()
  for (const [id, e] of svc.execs) {
    execNow(svc, e)
    if ((e.endedAt !== undefined && now - e.endedAt > 600_000) || (!e.running && e.exitCode === null && now - e.created > 3_600_000)) {
      svc.execs.delete(id)
      if (e.detached) removeExecRecord(svc.stateRoot, e.containerId, id)
    }
  }
}

function execOf(svc: Service, id: string): ExecRecord {
  const e = svc.execs.get(id)
  if (!e) throw new ApiError(404, `No such exec instance: ${id}`)
  return e
}

function execArgs(e: ExecRecord, detach: boolean, tty: boolean): string[] {
  const c = e.config as { AttachStdin?: boolean; Tty?: boolean; Env?: string[]; WorkingDir?: string; User?: string; Privileged?: boolean; Cmd: string[] }
  return [
    'exec',
    // its events carry this exec's id, and a detached one's record is found by it (exec-records.ts)
    '--exec-id',
    e.id,
    ...(detach ? ['--detach'] : []),
    // on script(1)'s pty, -i too: mini-run then puts that terminal in raw mode, so the container's own pty alone turns \n into \r\n
    ...((c.AttachStdin && !detach) || tty ? ['--interactive'] : []),
    ...(tty ? ['--tty'] : []),
    ...(c.Env ?? []).flatMap((v) => ['--env', v]),
    ...(c.WorkingDir ? ['--workdir', c.WorkingDir] : []),
    ...(c.User ? ['--user', c.User] : []),
    ...(c.Privileged ? ['--privileged'] : []),
    e.containerId,
    ...c.Cmd,
  ]
}

export async function execStartRoute({ svc, req, params, target, body: upgradeBody }: StreamCall): Promise<void> {
  const e = execOf(svc, params[0]!)
  const body = upgradeBody !== undefined ? parseJson(upgradeBody) : await readJson(req)
  if (e.running || e.endedAt !== undefined) throw new ApiError(409, `exec instance ${e.id} has already been started`)
  const config = e.config as { AttachStdin?: boolean; AttachStdout?: boolean; AttachStderr?: boolean; Tty?: boolean }
  const detach = body.Detach === true
  const tty = config.Tty === true && !detach
  e.running = true
  e.detached = detach
  // until `mini-run exec -d` has written its record, there is none to read (execNow)
  e.starting = true
  let code = 126
  try {
    target.begin()
    // detached with Tty: the terminal is the monitor's, which holds it (no script(1) pty here)
    code = await stream(svc, target, execArgs(e, detach, tty || (detach && config.Tty === true)), {
      raw: tty,
      pty: tty,
      stdin: config.AttachStdin === true && !detach,
      stdout: config.AttachStdout !== false,
      stderr: config.AttachStderr !== false,
      // forgotten at its exit: the exit event comes with the reap, before the pid can be anyone's again
      ...(tty && { spawned: (child: ChildProcess) => ((e.terminalPid = child.pid), child.once('exit', () => delete e.terminalPid)) }),
    })
  } finally {
    delete e.terminalPid
    delete e.starting
    // detached and started: it runs on under its monitor, asked how it is when inspected (execNow)
    if (detach && code === 0) e.pid = readExecStatus(svc.stateRoot, e.containerId, e.id)?.pid ?? 0
    else ended(e, code)
  }
}

function ended(e: ExecRecord, code: number | null): void {
  e.running = false
  e.exitCode = code
  e.endedAt = Date.now()
}

/** A detached exec as it is now: running while its monitor lives, then its exit code (exec-records.ts). */
function execNow(svc: Service, e: ExecRecord): ExecRecord {
  if (!e.detached || !e.running || e.starting || e.exitCode !== null) return e
  const now = readExecStatus(svc.stateRoot, e.containerId, e.id)
  // no record: gone with its container
  if (!now) ended(e, null)
  else if (!now.running) ended(e, now.exitCode)
  return e
}

export async function execInspectRoute({ svc, res, params }: Call): Promise<void> {
  const e = execNow(svc, execOf(svc, params[0]!))
  const c = e.config as { Tty?: boolean; Cmd: string[]; Privileged?: boolean; User?: string; AttachStdin?: boolean; AttachStdout?: boolean; AttachStderr?: boolean }
  sendJson(res, 200, {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: { tty: c.Tty === true, entrypoint: c.Cmd[0], arguments: c.Cmd.slice(1), privileged: c.Privileged === true, user: c.User ?? '' },
    OpenStdin: c.AttachStdin === true,
    OpenStderr: c.AttachStderr !== false,
    OpenStdout: c.AttachStdout !== false,
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: '',
    Pid: e.pid,
  })
}
