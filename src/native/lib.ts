/**
 * Bindings to libminirun.so (native/minirun.h) through ffi-rs: loading the
 * library and calling into it. The calls themselves are declared by area
 * beside this file (process-calls.ts, file-calls.ts, lock-calls.ts,
 * isolation-calls.ts).
 *
 * Every native function returns -errno on failure; `check` turns that into a
 * NativeError carrying the errno name, like Node's own fs errors.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve as resolvePath } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getSystemErrorName } from 'node:util'
import { constants as osConstants } from 'node:os'
import type * as FfiRs from 'ffi-rs'
import { prebuiltAddon } from './addon-path.js'

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
export const DataType = new Proxy({} as typeof FfiRs.DataType, {
  get: (_, key) => ffiRs().DataType[key as keyof typeof FfiRs.DataType],
})

/** Load an addon file as require() would, minus the resolution. */
function loadAddon(path: string): unknown {
  const module = { exports: {} }
  process.dlopen(module, path)
  return module.exports
}

function loadFfi(): typeof FfiRs {
  const require = (id: string) => createRequire(import.meta.url)(id) as unknown
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    try {
      const addon = prebuiltAddon(packageRoot(), process.arch)
      const binding = (addon !== undefined ? loadAddon(addon) : require(`@yuuang/ffi-rs-linux-${process.arch}-gnu`)) as typeof FfiRs & {
        FFITypeTag: Record<string, number>
      }
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
let foundNativeDir: string | undefined
/**
 * native/build/ of the package: two levels up from dist/native/lib.js, one
 * from the bundled CLI in dist/. Found on first use: `ps` never asks (the
 * URL work and the stats were 1 ms of it).
 */
function nativeDir(): string {
  if (foundNativeDir === undefined) {
    const here = moduleDir()
    const dirs = ['../../native/build', '../native/build'].map((rel) => resolvePath(here, rel) + '/')
    foundNativeDir = dirs.find((dir) => existsSync(dir + 'libminirun.so')) ?? dirs[0]!
  }
  return foundNativeDir
}

/**
 * This module's directory. A file URL of a plain path (the bundles' own is
 * one: scripts/bundle.mjs) is read as the path it is: node:url's first use
 * was 0.5 ms of each start that loads ffi-rs, listings included.
 */
function moduleDir(): string {
  const url = import.meta.url
  return dirname(/^file:\/\/\/[\w./-]+$/.test(url) ? url.slice('file://'.length) : fileURLToPath(url))
}
export const libraryPath = (): string => nativeDir() + 'libminirun.so'
const packageRoot = (): string => resolvePath(nativeDir(), '../..')
/** The stage (native/stage.c), which runs a start's child steps. */
export const stagePath = (): string => nativeDir() + 'mini-run-stage'
/** The monitor of a detached container (native/monitor.c). */
export const monitorPath = (): string => nativeDir() + 'mini-run-monitor'

let opened = false
function ensureOpen(): void {
  if (opened) return
  ffiRs().open({ library: LIBRARY, path: libraryPath() })
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
  return errnoNames.get(errno) ?? LINUX_ONLY[errno] ?? `E${errno}`
}

/** Errors of Linux's libuv does not name, by their asm-generic/errno.h numbers (x86-64, arm64, riscv64). */
const LINUX_ONLY: Record<number, string> = { 124: 'EMEDIUMTYPE' }

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
  EPIPE: 'Broken pipe',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ELOOP: 'Too many levels of symbolic links',
  ENOTSUP: 'Operation not supported',
  EOPNOTSUPP: 'Operation not supported',
  EUSERS: 'Too many users',
  ENOTEMPTY: 'Directory not empty',
  EMEDIUMTYPE: 'Wrong medium type',
}

/**
 * Whether a native call failed with this errno ("ENODATA"): the expected
 * failures a caller turns into an answer. Named through util (loaded at
 * Node's start), not node:os's constants (0.2 ms to load on a run's first
 * lgetxattr or flock). libuv names EWOULDBLOCK EAGAIN, its Linux value.
 */
export function failedWith(result: number, name: string): boolean {
  return result < 0 && getSystemErrorName(result) === name
}

export function check(syscall: string, result: number, detail?: string): number {
  if (result < 0) throw new NativeError(syscall, -result, detail)
  return result
}

export function call(funcName: string, paramsType: number[], paramsValue: unknown[]): number {
  ensureOpen()
  return ffiRs().load({ library: LIBRARY, funcName, retType: DataType.I32, paramsType, paramsValue }) as number
}

export async function callInThread(funcName: string, paramsType: number[], paramsValue: unknown[]): Promise<number> {
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
