// The pty relay of `run -t` once read the container's pty master in libuv's
// thread pool. Closing that fd while the read was pending let its number name
// the next file the runtime opened, and the stream's own close then closed
// that file: `mini-run alpine sh` ended with "EBADF: bad file descriptor,
// close" (the network lock's fd) once in about forty runs. The master is now
// read through a tty handle (epoll): close() releases it at once, and nothing
// closes it again later. A pipe stands in for the master here.
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as processCalls from '../src/native/process-calls.js'
import { attachTerminal } from '../src/runtime/process/terminal.js'

describe('attachTerminal', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

  it('releases the master at once on close(), and leaves a file opened after it alone', { timeout: 10_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-term-'))
    dirs.push(dir)
    const [readEnd, writeEnd] = processCalls.pipe()
    const terminal = attachTerminal(readEnd)
    await new Promise((r) => setTimeout(r, 50)) // the relay waits for output now
    terminal.close()
    const file = openSync(join(dir, 'lock'), 'w') // may take the master's number
    const before = fstatSync(file).ino
    // nobody reads the master any more: the container's side finds it closed
    expect(() => writeSync(writeEnd, 'late output')).toThrow(/EPIPE/)
    closeSync(writeEnd)
    await terminal.finished()
    await new Promise((r) => setTimeout(r, 50))
    expect(fstatSync(file).ino).toBe(before)
    closeSync(file)
  })

  it('closes the master itself once the container is gone', async () => {
    const [readEnd, writeEnd] = processCalls.pipe()
    const terminal = attachTerminal(readEnd)
    closeSync(writeEnd)
    await terminal.finished()
    expect(() => fstatSync(readEnd)).toThrow(/EBADF/)
  })
})

// supervise.ts asks whether its stdout is a terminal through mr_isatty:
// node:tty's isatty would load tty, net and stream on every run.
describe('isTerminal (mr_isatty)', () => {
  it('is true for a pty and false for /dev/null, a pipe and a regular file; a closed fd is an error', () => {
    const master = openSync('/dev/ptmx', 'r+')
    const devNull = openSync('/dev/null', 'r')
    const [readEnd, writeEnd] = processCalls.pipe()
    const file = openSync('/proc/self/status', 'r')
    try {
      expect(processCalls.isTerminal(master)).toBe(true)
      expect(processCalls.isTerminal(devNull)).toBe(false)
      expect(processCalls.isTerminal(readEnd)).toBe(false)
      expect(processCalls.isTerminal(file)).toBe(false)
    } finally {
      for (const fd of [master, devNull, readEnd, writeEnd, file]) closeSync(fd)
    }
    expect(() => processCalls.isTerminal(file)).toThrow(/EBADF|Bad file descriptor/)
  })
})
