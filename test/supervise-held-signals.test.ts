// Issue 13, signals at the start: the runtime's SIGTERM, SIGINT... arrive
// while the container may already run but before superviseProcess listens
// (the runtime still records the start). Without a listener they killed the
// runtime and left the container running unwatched (run-process.test.ts's
// forwarding test hung under load). holdSignals keeps them from just before
// the clone; superviseProcess forwards them, also one caught by the holder's
// handle but not yet emitted when the relay takes over.
import { closeSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as processCalls from '../src/native/process-calls.js'
import { until } from './helpers/until.js'
import { waitingChild } from './helpers/waiting-child.js'
import type { Host } from '../src/runtime/process/host.js'
import type { Launched } from '../src/runtime/process/run-host-steps.js'
import { holdSignals, superviseProcess } from '../src/runtime/process/supervise.js'

async function supervisedWith(send: (held: ReturnType<typeof holdSignals>) => Promise<void>): Promise<string[]> {
  const child = waitingChild()
  const kills: string[] = []
  const host = { kill: (_pid: number, signal: NodeJS.Signals) => void kills.push(signal) } as unknown as Host
  const launched = { pid: child.pid, started: Promise.resolve(null), resources: { fds: new Map() } } as unknown as Launched
  const held = holdSignals()
  try {
    await send(held)
    const done = superviseProcess(launched, host, { forwardSignals: true, held })
    try {
      await until('the held signal to be forwarded', () => kills.length > 0, 20_000, 5)
    } finally {
      closeSync(child.syncWrite) // the child leaves: supervision ends
      await done
    }
  } finally {
    held.release()
  }
  return kills
}

describe('signals held from before the container runs until it is supervised', () => {
  it('forwards a signal the holder took', async () => {
    const kills = await supervisedWith(async () => {
      process.kill(process.pid, 'SIGUSR2')
      await new Promise((r) => setImmediate(r))
      await new Promise((r) => setImmediate(r))
    })
    expect(kills).toEqual(['SIGUSR2'])
  })

  it('forwards a signal caught but not yet emitted when superviseProcess takes over', async () => {
    // sent and superviseProcess called in one synchronous step: the signal
    // waits in libuv; had the holder's listener gone first, its handle would
    // have closed with the signal in it
    const kills = await supervisedWith(async () => void process.kill(process.pid, 'SIGUSR2'))
    expect(kills).toEqual(['SIGUSR2'])
  })
})
