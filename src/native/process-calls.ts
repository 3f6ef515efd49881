/**
 * The native calls that start a container's process and talk to it: clone3
 * through the trampoline, the failure report, waitpid, pidfds, the pipes,
 * socketpairs and memfds handed to the child, and its terminal. Apart from
 * lib.ts, which only loads the library and turns -errno into NativeError.
 */
import { readlinkSync } from 'node:fs'
import { call, callInThread, check, DataType, failedWith } from './lib.js'

/** A sealed memfd copy of a file: see mr_sealed_copy in native/minirun.h. */
export function sealedCopy(path: string): number {
  return check('memfd', call('mr_sealed_copy', [DataType.String], [path]), path)
}

/** A sealed memfd holding data. */
export function memfdData(data: Buffer): number {
  return check('memfd', call('mr_memfd_data', [DataType.U8Array, DataType.I32], [data, data.length]))
}

const O_CLOEXEC = 0o2000000

/** pipe2(2) with O_CLOEXEC: [readEnd, writeEnd]. */
export function pipe(): [number, number] {
  const fds = Buffer.alloc(8)
  check('pipe2', call('mr_pipe', [DataType.U8Array, DataType.I32], [fds, O_CLOEXEC]))
  return [fds.readInt32LE(0), fds.readInt32LE(4)]
}

/** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC). */
export function socketpair(): [number, number] {
  const fds = Buffer.alloc(8)
  check('socketpair', call('mr_socketpair', [DataType.U8Array], [fds]))
  return [fds.readInt32LE(0), fds.readInt32LE(4)]
}

/** A unix stream socket connected to path (see mr_unix_connect). */
export function unixConnect(path: string): number {
  return check('connect', call('mr_unix_connect', [DataType.String], [path]), path)
}

export interface SpawnFds {
  cgroup: number
  stage: number
  program: number
  sync: number
  report: number
  stdio: [number, number, number]
  keep: number[]
}

/** clone3 + trampoline: see mr_spawn in native/minirun.h. Returns the pid. */
export function spawn(cloneFlags: number, fds: SpawnFds): number {
  const pid = spawnChild(cloneFlags, fds)
  reaped.delete(pid) // a new child: an earlier one's exit on this pid is not its
  return pid
}

function spawnChild(cloneFlags: number, fds: SpawnFds): number {
  const stdio = Buffer.alloc(12)
  fds.stdio.forEach((fd, i) => stdio.writeInt32LE(fd, i * 4))
  const keep = Buffer.alloc(Math.max(4, fds.keep.length * 4))
  fds.keep.forEach((fd, i) => keep.writeInt32LE(fd, i * 4))
  return check(
    'clone3',
    call(
      'mr_spawn',
      [
        DataType.I64, DataType.I32, DataType.I32, DataType.I32, DataType.I32, DataType.I32,
        DataType.U8Array, DataType.U8Array, DataType.I32,
      ],
      [cloneFlags, fds.cgroup, fds.stage, fds.program, fds.sync, fds.report, stdio, keep, fds.keep.length],
    ),
  )
}

export interface StepReport {
  step: number
  errno: number
}

/** How long the JS thread itself waits for a report before a thread of libuv's pool takes over. */
const REPORT_WAIT_HERE_MS = 100

/**
 * Wait for the child's failure report; null means its execve succeeded.
 * First the caller's own work goes on while the child sets up (the state
 * with its pid): the wait starts once the JS thread has nothing else to do
 * (setImmediate). Then it waits here, which a container's setup usually
 * needs only a few ms of, and only past REPORT_WAIT_HERE_MS on a thread of
 * libuv's pool: the pool's first use starts four threads, whose start
 * competes with the child's setup on this 2-core VM (UV_THREADPOOL_SIZE=1
 * alone: -1.4 ms of a `run --rm`, 50 paired rounds).
 */
export async function readReport(fd: number): Promise<StepReport | null> {
  await new Promise<void>((resolve) => setImmediate(resolve))
  const out = Buffer.alloc(8)
  let n = call('mr_read_report', [DataType.I32, DataType.U8Array, DataType.I32], [fd, out, REPORT_WAIT_HERE_MS])
  if (failedWith(n, 'ETIMEDOUT')) n = await callInThread('mr_read_report', [DataType.I32, DataType.U8Array, DataType.I32], [fd, out, -1])
  if (check('read', n) === 0) return null
  return { step: out.readUInt32LE(0), errno: out.readInt32LE(4) }
}

/** waitpid(2) on a thread: the raw wait status. */
export async function waitStatus(pid: number): Promise<number> {
  const out = Buffer.alloc(4)
  check('waitpid', await callInThread('mr_wait', [DataType.I32, DataType.U8Array], [pid, out]))
  return out.readInt32LE(0)
}

/** The children exitStatus waits for: each one's exit, and its look (waitpid WNOHANG). */
const waiting = new Map<number, { exit: Promise<number>; look: () => void }>()
/**
 * The last exits found, for a wait that comes after: only of pids spawn gave
 * (every caller's), and forgotten when spawn gives one out again. Another
 * child (node:child_process) may get a pid once reaped: never asked here.
 */
const reaped = new Map<number, Promise<number>>()
const REAPED_KEPT = 64
let keepAlive: NodeJS.Timeout | undefined
const lookAll = (): void => {
  for (const { look } of [...waiting.values()]) look()
}

/**
 * The raw wait status of pid, a child of this process, once it exits,
 * without a thread: a look (waitpid with WNOHANG) at each SIGCHLD, whose
 * handle libuv's loop already watches, and once a second besides. That
 * timer is what keeps Node's loop alive meanwhile (a signal's handle does
 * not), and it finds the exit where no SIGCHLD comes (a worker thread gets
 * no signals: there, up to a second late). waitStatus's thread started
 * libuv's pool (readReport says what that costs). libuv reaps only its own children, by pid, and
 * so does this. A second wait for the same pid gets the first one's exit, also once it was reaped.
 */
export function exitStatus(pid: number): Promise<number> {
  const known = waiting.get(pid)?.exit ?? reaped.get(pid)
  if (known) return known
  let settle: { resolve: (status: number) => void; reject: (err: unknown) => void } | undefined
  const exit = new Promise<number>((resolve, reject) => (settle = { resolve, reject }))
  const out = Buffer.alloc(4)
  const done = () => forgetExit(pid)
  const look = () => {
    let r: number
    try {
      r = check('waitpid', call('mr_wait_nohang', [DataType.I32, DataType.U8Array], [pid, out]))
    } catch (err) {
      done()
      settle!.reject(err)
      return
    }
    if (r === 0) return
    done()
    reaped.set(pid, exit)
    if (reaped.size > REAPED_KEPT) reaped.delete(reaped.keys().next().value!)
    settle!.resolve(out.readInt32LE(0))
  }
  if (waiting.size === 0) {
    process.on('SIGCHLD', lookAll)
    keepAlive = setInterval(lookAll, 1000)
  }
  // in the table before the first look, which may find the exit at once
  waiting.set(pid, { exit, look })
  look()
  return exit
}

/**
 * The wait status of a child of ours that has exited, without reaping it (a
 * zombie keeps its pid from reuse until its own waiter reaps it): what a
 * wait of exitStatus found or will find, else waitid WNOWAIT, looked at for
 * up to timeoutMs. undefined when it has not exited by then, or was reaped
 * by another wait.
 */
export async function peekExitStatus(pid: number, timeoutMs = 200): Promise<number | undefined> {
  const known = waiting.get(pid)?.exit ?? reaped.get(pid)
  if (known) return known
  const out = Buffer.alloc(4)
  const r = call('mr_wait_peek', [DataType.I32, DataType.U8Array, DataType.I32], [pid, out, timeoutMs])
  return r === 1 ? out.readInt32LE(0) : undefined
}

/** Wait for pid's exit no more (an exec left running: once the runtime exits, the reaper of the runtime's PID namespace, or its subreaper, has it); the last one lets Node's loop end. */
export function forgetExit(pid: number): void {
  waiting.delete(pid)
  if (waiting.size > 0 || keepAlive === undefined) return
  process.off('SIGCHLD', lookAll)
  clearInterval(keepAlive)
  keepAlive = undefined
}

/**
 * A program started in a session of its own with fds as its 3, 4, 5...
 * and /dev/null as 0, 1 and 2 (mr_spawn_program: posix_spawn): what
 * child_process.spawn(path, args, { detached: true, stdio: ['ignore',
 * 'ignore', 'ignore', ...fds] }) and unref() did, without loading
 * node:child_process and node:net, or a fork of Node's memory. Its exit is
 * reaped when it comes, as libuv reaped it; nothing keeps Node's loop alive
 * for it. Returns the pid.
 */
export function spawnProgram(path: string, args: readonly string[], fds: readonly number[]): number {
  const argv = [path, ...args]
  if (argv.some((a) => a.includes('\0'))) throw new TypeError(`${path}: an argument holds a NUL byte`)
  const text = Buffer.from(argv.map((a) => `${a}\0`).join(''))
  const fdList = Buffer.alloc(4 * Math.max(1, fds.length))
  fds.forEach((fd, i) => fdList.writeInt32LE(fd, i * 4))
  // watched before the start, so that no SIGCHLD of it comes before its listener
  if (unheld.size === 0) process.on('SIGCHLD', reapUnheld)
  let pid: number
  try {
    pid = check('posix_spawn', call('mr_spawn_program', [DataType.String, DataType.U8Array, DataType.I32, DataType.I32, DataType.U8Array, DataType.I32], [path, text, text.length, argv.length, fdList, fds.length]), path)
  } catch (err) {
    if (unheld.size === 0) process.off('SIGCHLD', reapUnheld)
    throw err
  }
  unheld.add(pid)
  reaped.delete(pid) // a new child: an earlier one's exit on this pid is not its
  return pid
}

/** The programs spawnProgram started that have not exited yet: each reaped at a SIGCHLD after its exit. */
const unheld = new Set<number>()
const reapUnheld = (): void => {
  const status = Buffer.alloc(4)
  for (const pid of unheld) if (call('mr_wait_nohang', [DataType.I32, DataType.U8Array], [pid, status]) !== 0) unheld.delete(pid)
  if (unheld.size === 0) process.off('SIGCHLD', reapUnheld)
}

/** Receive one fd sent with SCM_RIGHTS. */
export async function recvFd(sock: number): Promise<number> {
  return check('recvmsg', await callInThread('mr_recv_fd', [DataType.I32], [sock]))
}

export function setWinsize(fd: number, rows: number, cols: number): void {
  check('ioctl TIOCSWINSZ', call('mr_set_winsize', [DataType.I32, DataType.I32, DataType.I32], [fd, rows, cols]))
}

/** Whether fd is a terminal, also one that hung up (see mr_isatty); without loading node:tty. */
export function isTerminal(fd: number): boolean {
  return check('isatty', call('mr_isatty', [DataType.I32], [fd])) === 1
}

/** Stop output post-processing on a terminal (see mr_tty_clear_opost). */
export function ttyClearOpost(fd: number): void {
  check('tcsetattr', call('mr_tty_clear_opost', [DataType.I32], [fd]))
}

/** O_NONBLOCK on fd (see mr_set_nonblock). */
export function setNonBlocking(fd: number): void {
  check('fcntl', call('mr_set_nonblock', [DataType.I32], [fd]))
}

/**
 * Resolves to the index of the first of fds that hangs up (POLLHUP,
 * POLLERR), or to fds.length once wakeFd is readable (see mr_wait_hangup).
 */
export async function waitHangup(fds: number[], wakeFd: number): Promise<number> {
  const buf = Buffer.alloc(Math.max(4, fds.length * 4))
  fds.forEach((fd, i) => buf.writeInt32LE(fd, i * 4))
  return check('poll', await callInThread('mr_wait_hangup', [DataType.U8Array, DataType.I32, DataType.I32], [buf, fds.length, wakeFd]))
}

/** pidfd_open(2): an fd naming this process, never a later one on its pid. */
export function pidfdOpen(pid: number): number {
  return check('pidfd_open', call('mr_pidfd_open', [DataType.I32], [pid]), `pid ${pid}`)
}

/** pidfd_send_signal(2); signal 0 only checks that the process is still there. */
export function pidfdSendSignal(pidfd: number, signal: number): void {
  check('pidfd_send_signal', call('mr_pidfd_send_signal', [DataType.I32, DataType.I32], [pidfd, signal]))
}

/**
 * _exit(2) with this code, now: see mr_exit in native/minirun.h. Its helper,
 * which holds Node's memory past the exit and is adopted by init once this
 * process is gone, only in the initial pid namespace: the system's init
 * reaps what it adopts; the init of another may be an application that
 * reaps only its own children (a container without --init), where every
 * call would leave a zombie.
 */
export function exitNow(code: number): never {
  call('mr_exit', [DataType.I32, DataType.I32], [code, inInitialPidNamespace() ? 1 : 0])
  throw new Error('mr_exit returned')
}

/**
 * Remove this tree when this process exits, off the user's path where it
 * can: with exitNow, by its helper beside the exit; with Node's own exit,
 * in it (mr_remove_at_exit, native/minirun.h). For a tree the
 * caller moved out of sight first, in the store's tmp/ under this
 * process's name, which the store collects if the removal never comes.
 * Removed at once when the library cannot take it.
 */
export function removeAfterExit(path: string): void {
  if (call('mr_remove_at_exit', [DataType.String], [path]) < 0) call('mr_remove_tree', [DataType.String], [path])
}

/** The kernel's name of the initial pid namespace (its inode, PROC_PID_INIT_INO). */
const INITIAL_PID_NAMESPACE = 'pid:[4026531836]'

function inInitialPidNamespace(): boolean {
  try {
    return readlinkSync('/proc/self/ns/pid') === INITIAL_PID_NAMESPACE
  } catch {
    return false
  }
}
