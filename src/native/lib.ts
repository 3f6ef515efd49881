/**
 * Bindings to libminirun.so (native/minirun.h) through ffi-rs.
 *
 * Every native function returns -errno on failure; `check` turns that into a
 * NativeError carrying the errno name, like Node's own fs errors.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { constants as osConstants } from 'node:os'
import type * as FfiRs from 'ffi-rs'

/**
 * ffi-rs's entry point tells glibc from musl with process.report.getReport(),
 * which costs about 10 ms, on every start of the CLI. On glibc we load the
 * platform binding directly and repeat the one thing the entry point adds to
 * `load` (array parameters carry their length); anywhere else, the entry point.
 */
let ffi: typeof FfiRs | undefined
/** ffi-rs, loaded (with its native addon, 2 ms) by the first call: `ps` or `inspect` make none. */
function ffiRs(): typeof FfiRs {
  return (ffi ??= loadFfi())
}
// the parameter types' numbers, which the addon defines: read there when a call names one
const DataType = new Proxy({} as typeof FfiRs.DataType, {
  get: (_, key) => ffiRs().DataType[key as keyof typeof FfiRs.DataType],
})

function loadFfi(): typeof FfiRs {
  const require = createRequire(import.meta.url)
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    try {
      const binding = require(`@yuuang/ffi-rs-linux-${process.arch}-gnu`) as typeof FfiRs & { FFITypeTag: Record<string, number> }
      const arrays = new Set<number>([binding.DataType.I16Array, binding.DataType.I32Array, binding.DataType.StringArray, binding.DataType.DoubleArray, binding.DataType.U8Array, binding.DataType.FloatArray])
      const rawLoad = binding.load as (params: unknown) => unknown
      const wrapped = ((params: { paramsType: unknown[]; paramsValue: { length: number }[]; freeResultMemory?: boolean }) => {
        params.freeResultMemory ??= false
        params.paramsType = params.paramsType.map((type, i) =>
          typeof type === 'number' && arrays.has(type) ? { ffiTypeTag: binding.FFITypeTag.Array, type, length: params.paramsValue[i]!.length } : type,
        )
        return rawLoad(params)
      }) as unknown as typeof FfiRs.load
      return { ...binding, load: wrapped }
    } catch {
      // musl, or no prebuilt binding: the entry point knows what to load
    }
  }
  return require('ffi-rs') as typeof FfiRs
}

const LIBRARY = 'minirun'
// native/build/ of the package: two levels up from dist/native/lib.js, one
// from the bundled CLI in dist/
const nativeDir = ['../../native/build/', '../native/build/']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((dir) => existsSync(dir + 'libminirun.so')) ?? fileURLToPath(new URL('../../native/build/', import.meta.url))
export const libraryPath = nativeDir + 'libminirun.so'
export const stagePath = nativeDir + 'mini-run-stage'

let opened = false
function ensureOpen(): void {
  if (opened) return
  ffiRs().open({ library: LIBRARY, path: libraryPath })
  opened = true
}

// The first name of each number: EAGAIN, not its alias EWOULDBLOCK. Made
// when an error first needs one (node:os is not loaded before).
let errnoNames: Map<number, string> | undefined

/** The symbolic name of an errno value, e.g. 13 -> "EACCES". */
export function errnoName(errno: number): string {
  if (!errnoNames) {
    errnoNames = new Map()
    for (const [name, num] of Object.entries(osConstants.errno)) if (!errnoNames.has(num)) errnoNames.set(num, name)
  }
  return errnoNames.get(errno) ?? `E${errno}`
}

/** A failed native call, shaped like Node's errno errors. */
export class NativeError extends Error {
  readonly errno: number
  readonly code: string
  readonly syscall: string
  constructor(syscall: string, errno: number, detail?: string) {
    super(`${syscall}${detail ? ` ${detail}` : ''}: ${strerror(errno)}`)
    this.name = 'NativeError'
    this.errno = errno
    this.code = errnoName(errno)
    this.syscall = syscall
  }
}

/** The number of an errno name ("EACCES" -> 13), 0 if unknown. */
export function errnoNumber(name: string): number {
  return (osConstants.errno as Record<string, number>)[name] ?? 0
}

/** The C library's message for an errno value ("Permission denied"). */
export function strerror(errno: number): string {
  return STRERROR[errnoName(errno)] ?? errnoName(errno)
}

// The messages glibc prints for the errors a container start can meet.
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  E2BIG: 'Argument list too long',
  ENOEXEC: 'Exec format error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EFBIG: 'File too large',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ELOOP: 'Too many levels of symbolic links',
  ENOTSUP: 'Operation not supported',
  EOPNOTSUPP: 'Operation not supported',
  EUSERS: 'Too many users',
  ENOTEMPTY: 'Directory not empty',
}

function check(syscall: string, result: number, detail?: string): number {
  if (result < 0) throw new NativeError(syscall, -result, detail)
  return result
}

function call(funcName: string, paramsType: number[], paramsValue: unknown[]): number {
  ensureOpen()
  return ffiRs().load({ library: LIBRARY, funcName, retType: DataType.I32, paramsType, paramsValue }) as number
}

async function callInThread(funcName: string, paramsType: number[], paramsValue: unknown[]): Promise<number> {
  ensureOpen()
  return (await ffiRs().load({
    library: LIBRARY,
    funcName,
    retType: DataType.I32,
    paramsType,
    paramsValue,
    runInNewThread: true,
  })) as number
}

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

/** Load a device cgroup program and attach it to a cgroup v2 directory (see mr_bpf_device_filter). */
export function bpfDeviceFilter(program: Buffer, cgroupFd: number): void {
  check('bpf', call('mr_bpf_device_filter', [DataType.U8Array, DataType.I32, DataType.I32], [program, program.length, cgroupFd]))
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

/** Wait for the child's failure report; null means its execve succeeded. */
export async function readReport(fd: number): Promise<StepReport | null> {
  const out = Buffer.alloc(8)
  const n = check('read', await callInThread('mr_read_report', [DataType.I32, DataType.U8Array], [fd, out]))
  if (n === 0) return null
  return { step: out.readUInt32LE(0), errno: out.readInt32LE(4) }
}

/** waitpid(2): the raw wait status. */
export async function waitStatus(pid: number): Promise<number> {
  const out = Buffer.alloc(4)
  check('waitpid', await callInThread('mr_wait', [DataType.I32, DataType.U8Array], [pid, out]))
  return out.readInt32LE(0)
}

/** Receive one fd sent with SCM_RIGHTS. */
export async function recvFd(sock: number): Promise<number> {
  return check('recvmsg', await callInThread('mr_recv_fd', [DataType.I32], [sock]))
}

export function setWinsize(fd: number, rows: number, cols: number): void {
  check('ioctl TIOCSWINSZ', call('mr_set_winsize', [DataType.I32, DataType.I32, DataType.I32], [fd, rows, cols]))
}

/** Stop output post-processing on a terminal (see mr_tty_clear_opost). */
export function ttyClearOpost(fd: number): void {
  check('tcsetattr', call('mr_tty_clear_opost', [DataType.I32], [fd]))
}

/** A user namespace fd with these maps (for idmapped mounts). */
export function usernsFd(uidMap: string, gidMap: string): number {
  return check('userns', call('mr_userns_fd', [DataType.String, DataType.String], [uidMap, gidMap]))
}

/** A detached idmapped clone of the mount at path. */
export function idmappedTree(path: string, usernsFd: number, recursive: boolean): number {
  return check(
    'mount_setattr',
    call('mr_idmapped_tree', [DataType.String, DataType.I32, DataType.I32], [path, usernsFd, recursive ? 1 : 0]),
    path,
  )
}

/** mknod(2): used for overlay whiteouts (char 0:0) and device nodes in layers. */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  check('mknod', call('mr_mknod', [DataType.String, DataType.I32, DataType.I32, DataType.I32], [path, mode, major, minor]), path)
}

/** lsetxattr(2). */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  check(
    'lsetxattr',
    call('mr_lsetxattr', [DataType.String, DataType.String, DataType.U8Array, DataType.I32], [path, name, value, value.length]),
    `${name} on ${path}`,
  )
}

/** lgetxattr(2); null when the attribute is absent. `max`: the largest value expected (ERANGE beyond). */
export function lgetxattr(path: string, name: string, max = 65536): Buffer | null {
  const buf = Buffer.alloc(max)
  const n = call('mr_lgetxattr', [DataType.String, DataType.String, DataType.U8Array, DataType.I32], [path, name, buf, buf.length])
  if (n === -osConstants.errno.ENODATA) return null
  check('lgetxattr', n, `${name} on ${path}`)
  return buf.subarray(0, n)
}

/** llistxattr(2): the names of the attributes of path (not following a symlink). */
export function llistxattr(path: string): string[] {
  const buf = Buffer.alloc(65536) // XATTR_LIST_MAX
  const n = check('llistxattr', call('mr_llistxattr', [DataType.String, DataType.U8Array, DataType.I32], [path, buf, buf.length]), path)
  return buf.subarray(0, n).toString('latin1').split('\0').filter(Boolean)
}

/** flock(2) on an open fd: an exclusive lock held until unlock or close (see mr_flock). */
export function flock(fd: number, operation: 'exclusive' | 'unlock'): void {
  check('flock', call('mr_flock', [DataType.I32, DataType.I32], [fd, operation === 'exclusive' ? 2 : 8]))
}

/** pidfd_open(2): an fd naming this process, never a later one on its pid. */
export function pidfdOpen(pid: number): number {
  return check('pidfd_open', call('mr_pidfd_open', [DataType.I32], [pid]), `pid ${pid}`)
}

/** pidfd_send_signal(2); signal 0 only checks that the process is still there. */
export function pidfdSendSignal(pidfd: number, signal: number): void {
  check('pidfd_send_signal', call('mr_pidfd_send_signal', [DataType.I32, DataType.I32], [pidfd, signal]))
}

/** openat2(2) O_PATH with RESOLVE_IN_ROOT: path as if rootFd were "/" (see mr_open_in_root). */
export function openInRoot(rootFd: number, path: string): number {
  return check('openat2', call('mr_open_in_root', [DataType.I32, DataType.String], [rootFd, path]), path)
}

/** The regular file an O_PATH fd names, at most maxBytes (EFBIG over it; see mr_read_regular). */
export function readRegular(pathFd: number, maxBytes: number): Buffer {
  const buf = Buffer.alloc(maxBytes)
  const n = check('read', call('mr_read_regular', [DataType.I32, DataType.U8Array, DataType.I32], [pathFd, buf, maxBytes]))
  return buf.subarray(0, n)
}

/** mount --bind source target (see mr_bind_mount). */
export function bindMount(source: string, target: string): void {
  check('mount', call('mr_bind_mount', [DataType.String, DataType.String], [source, target]), `${source} on ${target}`)
}

/** umount2(2); flags 2 is MNT_DETACH. */
export function umount(target: string, flags = 0): void {
  check('umount', call('mr_umount', [DataType.String, DataType.I32], [target, flags]), target)
}

/** unshare(2) of the calling (main) thread; see mr_unshare. */
export function unshare(flags: number): void {
  check('unshare', call('mr_unshare', [DataType.I32], [flags]))
}
