// The runtime's two waits on a container's process without a thread of
// libuv's pool (process-calls.ts): its exit, looked for at each SIGCHLD
// (exitStatus), and its start report, read on the JS thread for a while
// before a thread takes over (readReport). Each against the threaded wait
// it stands in for.
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as processCalls from '../src/native/process-calls.js'
import { waitingChild } from './helpers/waiting-child.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('exitStatus: a child waited for at its SIGCHLD', () => {
  it('resolves when each child exits, with the status waitpid on a thread gives, and leaves no listener behind', async () => {
    const listeners = process.listenerCount('SIGCHLD')
    const [a, b, twin] = [waitingChild(), waitingChild(), waitingChild()]
    const settled: string[] = []
    const exitA = processCalls.exitStatus(a.pid).then((s) => (settled.push('a'), s))
    const exitB = processCalls.exitStatus(b.pid).then((s) => (settled.push('b'), s))
    // one listener for every child waited for
    expect(process.listenerCount('SIGCHLD')).toBe(listeners + 1)
    await sleep(100)
    expect(settled).toEqual([])
    closeSync(b.syncWrite)
    const statusB = await exitB
    expect(settled).toEqual(['b'])
    expect(process.listenerCount('SIGCHLD')).toBe(listeners + 1)
    closeSync(a.syncWrite)
    const statusA = await exitA
    closeSync(twin.syncWrite)
    const statusTwin = await processCalls.waitStatus(twin.pid)
    expect({ statusA, statusB }).toEqual({ statusA: statusTwin, statusB: statusTwin })
    expect(process.listenerCount('SIGCHLD')).toBe(listeners)
  })

  it('gives a second wait for the same child the first one\'s exit', async () => {
    const child = waitingChild()
    const first = processCalls.exitStatus(child.pid)
    expect(processCalls.exitStatus(child.pid)).toBe(first)
    closeSync(child.syncWrite)
    await expect(first).resolves.toEqual(expect.any(Number))
    // and a wait after the child was reaped: not a waitpid of a pid that is no longer ours (ECHILD)
    const status = await first
    await expect(processCalls.exitStatus(child.pid)).resolves.toBe(status)
  })

  it('peekExitStatus: an exited child\'s status without reaping it (its pid stays taken), then the wait that reaps it', async () => {
    const child = waitingChild()
    // still running: nothing to see by the timeout
    expect(await processCalls.peekExitStatus(child.pid, 20)).toBeUndefined()
    closeSync(child.syncWrite)
    const seen = await processCalls.peekExitStatus(child.pid, 2000)
    expect(seen).toEqual(expect.any(Number))
    // a zombie still: the pid is not given out again meanwhile
    expect(readFileSync(`/proc/${child.pid}/stat`, 'utf8')).toMatch(/^\d+ \(.*\) Z /)
    await expect(processCalls.exitStatus(child.pid)).resolves.toBe(seen)
    expect(existsSync(`/proc/${child.pid}`)).toBe(false)
    // not a child of ours
    expect(await processCalls.peekExitStatus(1, 20)).toBeUndefined()
    // killed by a signal: waitpid's encoding of it, the signal's number
    const killed = waitingChild()
    process.kill(killed.pid, 'SIGKILL')
    expect(await processCalls.peekExitStatus(killed.pid, 2000)).toBe(9)
    await expect(processCalls.exitStatus(killed.pid)).resolves.toBe(9)
    closeSync(killed.syncWrite)
  })

  it('rejects for a process that is not its child (ECHILD), and leaves no listener behind', async () => {
    const listeners = process.listenerCount('SIGCHLD')
    await expect(processCalls.exitStatus(1)).rejects.toMatchObject({ code: 'ECHILD' })
    expect(process.listenerCount('SIGCHLD')).toBe(listeners)
  })
})

describe('readReport: the start report read on the JS thread, then on a thread', () => {
  it('reads a report written at once, and the end of file of a clean start', async () => {
    const [read, write] = processCalls.pipe()
    const report = Buffer.alloc(8)
    report.writeUInt32LE(7, 0)
    report.writeInt32LE(13, 4)
    writeSync(write, report)
    closeSync(write)
    expect(await processCalls.readReport(read)).toEqual({ step: 7, errno: 13 })
    closeSync(read)
    const [read2, write2] = processCalls.pipe()
    closeSync(write2)
    expect(await processCalls.readReport(read2)).toBeNull()
    closeSync(read2)
  })

  it('waits past its time on the JS thread for a report that comes later, and lets the loop run meanwhile', async () => {
    const [read, write] = processCalls.pipe()
    try {
      let ticks = 0
      const ticker = setInterval(() => ticks++, 20)
      const reading = processCalls.readReport(read)
      // the JS thread waits 100 ms at most; the rest is a thread's
      await sleep(400)
      const report = Buffer.alloc(8)
      report.writeUInt32LE(2, 0)
      report.writeInt32LE(1, 4)
      writeSync(write, report)
      expect(await reading).toEqual({ step: 2, errno: 1 })
      clearInterval(ticker)
      expect(ticks).toBeGreaterThan(5)
    } finally {
      closeSync(write)
      closeSync(read)
    }
  })
})
