/**
 * What the launcher (launcher.cts) asks of the process before it picks a
 * bundle, and before it ends one's run without Node's teardown.
 */
import { fstatSync } from 'node:fs'

/**
 * Whether fd may be a terminal, without node:tty (which loads Node's net and
 * stream modules, 2.5 ms): a character device other than the memory ones
 * (major 1: /dev/null, /dev/zero). A "maybe" only sends the shorthand to
 * the whole CLI, which asks isatty.
 */
export function mayBeTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd)
    return st.isCharacterDevice() && Math.floor(st.rdev / 256) % 4096 !== 1
  } catch {
    return false
  }
}

/**
 * Whether Node's event loop has nothing left to do but end: no request under
 * way (a write to a pipe that was full: WriteWrap; a file operation), no
 * timer, no handle but idle ones of stdin/stdout/stderr (PipeWrap, TTYWrap:
 * they hold the loop only while they read or write, and a write shows as
 * its request). Anything else, and the process ends the usual way, when the
 * loop has done it.
 */
export function loopIsIdle(): boolean {
  return process.getActiveResourcesInfo().every((r) => r === 'PipeWrap' || r === 'TTYWrap')
}

/**
 * Node writes what it was asked to record (--cpu-prof, --heap-prof, --prof,
 * NODE_V8_COVERAGE: c8, vitest's coverage) in its teardown: then the run
 * ends the usual way.
 */
export function recording(): boolean {
  return process.env.NODE_V8_COVERAGE !== undefined || process.execArgv.some((a) => /^--(cpu-prof|heap-prof|prof)\b/.test(a))
}
