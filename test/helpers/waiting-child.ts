// A real child of the test process, started as a container's process is
// (mr_spawn, the stage from its sealed copy) with an empty program: it
// waits for its sync byte and leaves on end of file. It is reaped only by
// whoever waits for it (superviseProcess, exitStatus, waitStatus).
import { closeSync, openSync } from 'node:fs'
import { afterAll } from 'vitest'
import * as native from '../../src/native/lib.js'
import * as processCalls from '../../src/native/process-calls.js'

const stage = processCalls.sealedCopy(native.stagePath())
const devnull = openSync('/dev/null', 'r')
afterAll(() => [stage, devnull].forEach((fd) => closeSync(fd)))

/** The child's pid, and the write end of its sync pipe: closing it makes the child leave. */
export function waitingChild(): { pid: number; syncWrite: number } {
  const program = processCalls.memfdData(Buffer.alloc(0))
  const [syncRead, syncWrite] = processCalls.pipe()
  const [reportRead, reportWrite] = processCalls.pipe()
  try {
    const pid = processCalls.spawn(0, { cgroup: -1, stage, program, sync: syncRead, report: reportWrite, stdio: [devnull, devnull, devnull], keep: [] })
    return { pid, syncWrite }
  } finally {
    for (const fd of [program, syncRead, reportRead, reportWrite]) closeSync(fd)
  }
}
