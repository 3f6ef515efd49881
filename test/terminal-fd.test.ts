// The pty relay of `run -t` reads the container's pty master in libuv's
// thread pool. Closing that fd while the read is pending let its number name
// the next file the runtime opened, and the stream's own close then closed
// that file: `mini-run alpine sh` ended with "EBADF: bad file descriptor,
// close" (the network lock's fd) once in about forty runs. A pipe stands in
// for the master here: its read blocks the same way.
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as processCalls from '../src/native/process-calls.js'
import { attachTerminal } from '../src/runtime/process/terminal.js'

describe('attachTerminal', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

  it('leaves a file opened after close() alone when the pending read ends later', { timeout: 10_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-term-'))
    dirs.push(dir)
    const [readEnd, writeEnd] = processCalls.pipe()
    const terminal = attachTerminal(readEnd)
    await new Promise((r) => setTimeout(r, 50)) // the stream's read is pending now
    terminal.close()
    const file = openSync(join(dir, 'lock'), 'w')
    const before = fstatSync(file).ino
    writeSync(writeEnd, 'late output') // the pending read returns: the stream closes what it owns
    closeSync(writeEnd)
    await terminal.finished()
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
