// The network state's lock while another process takes the directory away:
// the last lease's tidy removes <state>/network, and a mkdir -p racing with
// that rmdir can fail with ENOENT (Node's recursive mkdir checks the path
// again after its EEXIST). withNetworkLock must take the new directory then,
// not fail the start ("attach the bridge network: ENOENT ... mkdir").
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { networkStateDir, withNetworkLock } from '../src/network/leases.js'
import { until } from './helpers/until.js'

describe('withNetworkLock', () => {
  const stateRoot = mkdtempSync('/var/tmp/mini-run-lock-race-')
  afterAll(() => rmSync(stateRoot, { recursive: true, force: true }))

  it('takes the lock while another process keeps removing the directory (the tidy of a last lease)', async () => {
    const dir = networkStateDir(stateRoot)
    // The remover counts the directories it removed and prints the count
    // when told to stop: a run where it never removed one tested nothing.
    // It pauses 20 us between tries: a remover spinning without a pause
    // leaves a take hundreds of retries each (seconds for the lot, a minute
    // on a loaded machine), and with the pause the race still comes about
    // once in ten takes. Each take removes the directory itself too (the
    // lock's tidy: no lease left), so each makes it again.
    const remover = spawn(process.execPath, ['-e', `const fs = require('fs'); const pause = new Int32Array(new SharedArrayBuffer(4)); let removed = 0; process.on('SIGTERM', () => { process.stdout.write('removed ' + removed + '\\n', () => process.exit(0)) }); process.stdout.write('removing\\n'); const loop = () => { for (let i = 0; i < 1000; i++) { try { fs.rmdirSync(${JSON.stringify(dir)}); removed++ } catch {} Atomics.wait(pause, 0, 0, 0.02) } setImmediate(loop) }; loop()`])
    let output = ''
    remover.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    // 'close': its output read to the end, the count included
    const closed = new Promise((resolve) => remover.on('close', resolve))
    let taken = 0
    const failures: string[] = []
    try {
      await until('the remover runs', () => output.includes('removing\n'))
      // (the loop is synchronous: vitest's timeout cannot end it, this deadline does)
      const deadline = Date.now() + 45_000
      while (taken < 2000 && failures.length < 10 && Date.now() < deadline) {
        try {
          withNetworkLock(stateRoot, () => taken++)
        } catch (err) {
          failures.push((err as Error).message)
        }
      }
    } finally {
      remover.kill('SIGTERM')
      await closed
    }
    expect(failures).toEqual([])
    expect(taken).toBe(2000)
    expect(Number(/removed (\d+)/.exec(output)?.[1])).toBeGreaterThan(0)
    expect(join(dir, '..')).toBe(stateRoot)
  }, 60_000)
})
