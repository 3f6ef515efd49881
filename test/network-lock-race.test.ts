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

describe('withNetworkLock', () => {
  const stateRoot = mkdtempSync('/var/tmp/mini-run-lock-race-')
  afterAll(() => rmSync(stateRoot, { recursive: true, force: true }))

  it('takes the lock while another process keeps removing the directory (the tidy of a last lease)', async () => {
    const dir = networkStateDir(stateRoot)
    // the remover runs until this side has taken the lock 2000 times once it runs (a count, not a time: a loaded machine takes longer)
    const remover = spawn(process.execPath, ['-e', `const fs = require('fs'); process.stdout.write('removing\\n'); for (;;) { try { fs.rmdirSync(${JSON.stringify(dir)}) } catch {} }`])
    const exited = new Promise((resolve) => remover.on('exit', resolve))
    await new Promise((resolve) => remover.stdout.once('data', resolve))
    let taken = 0
    const failures: string[] = []
    try {
      while (taken < 2000 && failures.length < 10) {
        try {
          withNetworkLock(stateRoot, () => taken++)
        } catch (err) {
          failures.push((err as Error).message)
        }
      }
    } finally {
      remover.kill('SIGKILL')
      await exited
    }
    expect(failures).toEqual([])
    expect(taken).toBe(2000)
    expect(join(dir, '..')).toBe(stateRoot)
  }, 60_000)
})
