// A recorded pid is trusted only through a pidfd whose process is the one
// recorded (its start time). A double of /proc and pidfd_open plays the
// races; the real kernel is in test/sec-pid-reuse.test.ts.
import { spawn } from 'node:child_process'
import { closeSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { until } from './helpers/until.js'
import { openContainerProcess, signalProcess, type ProcessTable } from '../src/runtime/process/container-process.js'
import { isAlive, monitorAlive } from '../src/runtime/container/containers.js'
import { NativeError } from '../src/native/lib.js'
import { childPids, isRecordedProcess, parseProcStat, readProcStat, type ProcStat } from '../src/proc-stat.js'

// proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime ...
const statLine = (comm: string, state: string, start: number, ppid = 1) =>
  `4321 (${comm}) ${state} ${ppid} 4321 4321 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 2367488 200 18446744073709551615\n`

describe('proc stat', () => {
  it('reads the state and start time after the last paren, whatever the name holds', () => {
    expect(parseProcStat(statLine('sleep', 'S', 1234))).toEqual({ comm: 'sleep', state: 'S', ppid: 1, startTime: '1234' })
    expect(parseProcStat(statLine('a) R 1 (b', 'S', 99, 4000))).toEqual({ comm: 'a) R 1 (b', state: 'S', ppid: 4000, startTime: '99' })
    expect(parseProcStat('garbage')).toBeUndefined()
    expect(parseProcStat('1 (x) S 1 2')).toBeUndefined()
    // the start time as the line's last field, with and without its newline
    const upToStart = statLine('x', 'R', 77).split(' ').slice(0, 22).join(' ')
    expect(parseProcStat(upToStart)).toEqual({ comm: 'x', state: 'R', ppid: 1, startTime: '77' })
    expect(parseProcStat(`${upToStart}\n`)).toEqual({ comm: 'x', state: 'R', ppid: 1, startTime: '77' })
    expect(parseProcStat(upToStart.replace(/ 77$/, ' 7x7'))).toBeUndefined()
  })

  it('a process\'s children, from its children file and, as on a kernel without one, by their parent pid', async () => {
    // sh waits on its sleep (the `; :` keeps it from exec'ing it)
    const sh = spawn('sh', ['-c', 'sleep 30; :'], { stdio: 'ignore' })
    let kids: number[] = []
    try {
      await until('the shell\'s sleep', () => (kids = childPids(sh.pid!, false)).length === 1)
      expect(readProcStat(kids[0]!)?.comm).toBe('sleep')
      expect(childPids(sh.pid!, true)).toEqual(kids)
      expect(childPids(kids[0]!, false)).toEqual([])
    } finally {
      for (const pid of kids) process.kill(pid, 'SIGKILL')
      sh.kill('SIGKILL')
    }
  })

  it('takes a process for the recorded one only with the same start time, and not as a zombie', () => {
    const stat = (state: string, start: number) => parseProcStat(statLine('sh', state, start))
    expect(isRecordedProcess(stat('S', 500), '500')).toBe(true)
    expect(isRecordedProcess(stat('S', 501), '500')).toBe(false) // another process on the pid
    expect(isRecordedProcess(stat('Z', 500), '500')).toBe(false) // exited, not yet reaped
    expect(isRecordedProcess(undefined, '500')).toBe(false) // no such pid
    expect(isRecordedProcess(stat('S', 500), undefined)).toBe(false) // nothing recorded to compare
  })

  it('reads this process', () => {
    const self = readProcStat(process.pid)
    expect(self?.state).toMatch(/^[RS]$/)
    expect(isAlive({ pid: process.pid, pidStartTime: self!.startTime })).toBe(true)
    expect(isAlive({ pid: process.pid, pidStartTime: String(Number(self!.startTime) + 1) })).toBe(false)
  })
})

/** A process table whose /proc answers change from call to call, as in a race. */
function table(stats: (ProcStat | undefined)[], open: () => number = () => 42) {
  const closed: number[] = []
  const t: ProcessTable = {
    pidfdOpen: open,
    stat: () => stats.shift(),
    close: (fd) => closed.push(fd),
  }
  return { t, closed }
}
const running = (start: string): ProcStat => ({ comm: 'sh', state: 'S', startTime: start })

describe('openContainerProcess', () => {
  const recorded = { pid: 4321, pidStartTime: '500' }

  it('gives the pidfd when the pid still holds the recorded process', () => {
    const { t, closed } = table([running('500')])
    expect(openContainerProcess(recorded, t)).toBe(42)
    expect(closed).toEqual([])
  })

  it('closes the pidfd and says gone when another process holds the pid', () => {
    const { t, closed } = table([running('9000')])
    expect(openContainerProcess(recorded, t)).toBeUndefined()
    expect(closed).toEqual([42])
  })

  it('says gone when the process is a zombie, or vanished between pidfd_open and the stat', () => {
    for (const stat of [{ ...running('500'), state: 'Z' }, undefined]) {
      const { t, closed } = table([stat])
      expect(openContainerProcess(recorded, t)).toBeUndefined()
      expect(closed).toEqual([42])
    }
  })

  it('says gone when no process has the pid (ESRCH), and when no start time was recorded', () => {
    const { t } = table([running('500')], () => { throw new NativeError('pidfd_open', 3) })
    expect(openContainerProcess(recorded, t)).toBeUndefined()
    const opened = table([running('500')])
    expect(openContainerProcess({ pid: 4321 }, opened.t)).toBeUndefined()
    expect(openContainerProcess({ pidStartTime: '500' }, opened.t)).toBeUndefined()
  })

  it('lets other pidfd_open failures through', () => {
    const { t } = table([running('500')], () => { throw new NativeError('pidfd_open', 24) })
    expect(() => openContainerProcess(recorded, t)).toThrow(/pidfd_open/)
  })
})

describe('pidfds of real processes', () => {
  it('signals the process through its pidfd, and reports it gone once reaped', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    const start = readProcStat(child.pid!)!.startTime
    const pidfd = openContainerProcess({ pid: child.pid!, pidStartTime: start })
    expect(pidfd).toBeGreaterThan(2)
    try {
      expect(signalProcess(pidfd!, 0)).toBe(true)
      expect(signalProcess(pidfd!, 'SIGKILL')).toBe(true)
      await exited // node reaped it
      expect(signalProcess(pidfd!, 'SIGTERM')).toBe(false)
    } finally {
      closeSync(pidfd!)
    }
    expect(openContainerProcess({ pid: child.pid!, pidStartTime: start })).toBeUndefined()
  })

  it('takes a pid for the monitor only if its process started no later than the container', () => {
    const self = readProcStat(process.pid)!
    const comm = readFileSync('/proc/self/comm', 'utf8').trim()
    expect(comm.startsWith('mini-run-moni')).toBe(false)
    // by its name: this process is no monitor; as an exit command, the name does not count
    expect(monitorAlive({ monitorPid: process.pid, pidStartTime: self.startTime })).toBe(false)
    expect(monitorAlive({ monitorPid: process.pid, pidStartTime: self.startTime }, { exitCommand: true })).toBe(true)
    // a process that started after the container cannot be the monitor that cloned it
    const before = String(BigInt(self.startTime) - 1n)
    expect(monitorAlive({ monitorPid: process.pid, pidStartTime: before }, { exitCommand: true })).toBe(false)
    expect(monitorAlive({ pidStartTime: self.startTime }, { exitCommand: true })).toBe(false)
  })
})
