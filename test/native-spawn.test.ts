// mr_spawn (native/spawn.c) without namespaces, so without root: the child
// shares Node's memory until it execs the stage, on a stack of its own that
// the kernel hands back when it execs or exits (CLONE_CHILD_CLEARTID).
import { closeSync, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import * as native from '../src/native/lib.js'
import * as processCalls from '../src/native/process-calls.js'
import { encodeProgram } from '../src/runtime/plan/encode-program.js'
import { exitCodeOf } from '../src/runtime/process/supervise.js'

// one child per stack while it waits for its sync byte (native/minirun.h)
const WAITING_CHILDREN_MAX = 16
const sharedVm = process.arch === 'x64'

interface Child {
  pid: number
  syncWrite: number
  reportRead: number
}

const open: number[] = []
afterEach(() => {
  for (const fd of open.splice(0)) closeSync(fd)
})

const stage = processCalls.sealedCopy(native.stagePath())
const devnull = openSync('/dev/null', 'r')

/**
 * Clone a child of `program` (closed here once the child has it). With
 * `stageWaits` the trampoline gets no sync fd and the program's own
 * sync_wait step reads the pipe, kept as the "sync" slot.
 */
function spawnProgram(encode: (syncRead: number) => Buffer, flags = 0, stageWaits = false): Child {
  const [syncRead, syncWrite] = processCalls.pipe()
  const [reportRead, reportWrite] = processCalls.pipe()
  const program = processCalls.memfdData(encode(syncRead))
  try {
    const sync = stageWaits ? -1 : syncRead
    const pid = processCalls.spawn(flags, { cgroup: -1, stage, program, sync, report: reportWrite, stdio: [devnull, 1, 2], keep: stageWaits ? [syncRead] : [] })
    open.push(reportRead)
    return { pid, syncWrite, reportRead }
  } catch (err) {
    closeSync(syncWrite)
    closeSync(reportRead)
    throw err
  } finally {
    for (const fd of [program, syncRead, reportWrite]) closeSync(fd)
  }
}

const exec = (args: string[]) => ({ op: 'exec' as const, path: '/bin:/usr/bin', args, env: [], why: 'test', section: 'command' as const })

/** Clone a child that will run `args` once it gets its sync byte. */
function spawnWaiting(args: string[]): Child {
  return spawnProgram(() => encodeProgram([exec(args)]))
}

// The stage the children exec: a copy in a memfd, made in the kernel
// (sendfile), whole, and sealed: nothing can write it, the container neither
describe('mr_sealed_copy', () => {
  it("is the stage's file byte for byte, and cannot be written", () => {
    expect(readFileSync(`/proc/self/fd/${stage}`).equals(readFileSync(native.stagePath()))).toBe(true)
    expect(readlinkSync(`/proc/self/fd/${stage}`)).toMatch(/^\/memfd:mini-run-stage/)
    const again = openSync(`/proc/self/fd/${stage}`, 'r+')
    try {
      expect(() => writeSync(again, Buffer.from('x'), 0, 1, 0)).toThrow(/EPERM/)
    } finally {
      closeSync(again)
    }
  })
})

describe('mr_spawn', () => {
  it('runs a child that execs once it gets its sync byte', async () => {
    const child = spawnWaiting(['true'])
    writeSync(child.syncWrite, Buffer.from([1]))
    closeSync(child.syncWrite)
    expect(await processCalls.readReport(child.reportRead)).toBeNull()
    expect(exitCodeOf(await processCalls.waitStatus(child.pid))).toBe(0)
  })

  it.runIf(sharedVm)(`gives each waiting child a stack, ${WAITING_CHILDREN_MAX} at most, and reuses them once they exec or exit`, async () => {
    const waiting: Child[] = []
    try {
      for (let i = 0; i < WAITING_CHILDREN_MAX; i++) waiting.push(spawnWaiting(['true']))
      // every stack is held by a child blocked in read(sync)
      expect(() => spawnWaiting(['true'])).toThrow(expect.objectContaining({ code: 'EAGAIN' }))
    } finally {
      // end of file on the sync pipe: each child leaves quietly, with 0
      for (const c of waiting) closeSync(c.syncWrite)
    }
    for (const c of waiting) expect(exitCodeOf(await processCalls.waitStatus(c.pid))).toBe(0)
    // their stacks are free again: a full set of children runs
    const again: Child[] = []
    for (let i = 0; i < WAITING_CHILDREN_MAX; i++) again.push(spawnWaiting(['sh', '-c', `exit ${i}`]))
    for (const c of again) {
      writeSync(c.syncWrite, Buffer.from([1]))
      closeSync(c.syncWrite)
    }
    const codes = await Promise.all(again.map(async (c) => exitCodeOf(await processCalls.waitStatus(c.pid))))
    expect(codes).toEqual(again.map((_, i) => i))
  })

  /** A child whose stage program waits itself (a sync_wait step on a kept pipe), then runs `args`. */
  const spawnStageWaiting = (args: string[], flags = 0): Child =>
    spawnProgram((syncRead) => encodeProgram([
      { op: 'sync_wait', pipe: { slot: 'sync' }, why: 'test', section: 'mounts' },
      exec(args),
    ], new Map([['sync', syncRead]])), flags, true)

  it('with no sync fd, execs the stage at once; the stage waits at its sync_wait step for the byte', async () => {
    const child = spawnStageWaiting(['sh', '-c', 'exit 7'])
    // the stage is running (its memfd is the process's executable) and blocked, before any byte
    const deadline = Date.now() + 5_000
    while (!/memfd:mini-run-stage/.test(readlinkSync(`/proc/${child.pid}/exe`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    expect(readlinkSync(`/proc/${child.pid}/exe`)).toMatch(/memfd:mini-run-stage/)
    writeSync(child.syncWrite, Buffer.from([1]))
    closeSync(child.syncWrite)
    expect(await processCalls.readReport(child.reportRead)).toBeNull()
    expect(exitCodeOf(await processCalls.waitStatus(child.pid))).toBe(7)
  })

  it('a stage waiting at sync_wait leaves quietly, with 0, when the pipe ends without a byte', async () => {
    const child = spawnStageWaiting(['sh', '-c', 'exit 7'])
    closeSync(child.syncWrite)
    expect(await processCalls.readReport(child.reportRead)).toBeNull()
    expect(exitCodeOf(await processCalls.waitStatus(child.pid))).toBe(0)
  })

  it('refuses no sync fd with a new user namespace: the trampoline must wait for the id maps', () => {
    expect(() => spawnStageWaiting(['true'], 0x10000000)).toThrow(expect.objectContaining({ code: 'EINVAL' }))
  })
})
