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
    const ms = 2_000
    const remover = spawn(process.execPath, ['-e', `const fs = require('fs'); const end = Date.now() + ${ms}; while (Date.now() < end) { try { fs.rmdirSync(${JSON.stringify(dir)}) } catch {} }`])
    const exited = new Promise((resolve) => remover.on('exit', resolve))
    let taken = 0
    const failures: string[] = []
    const end = Date.now() + ms
    while (Date.now() < end) {
      try {
        withNetworkLock(stateRoot, () => taken++)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
    await exited
    expect(failures).toEqual([])
    expect(taken).toBeGreaterThan(1000)
    expect(join(dir, '..')).toBe(stateRoot)
  }, 20_000)
})
