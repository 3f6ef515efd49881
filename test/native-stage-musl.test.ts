// The stage program and mini-run-monitor (native/Makefile) are linked with
// musl where musl-gcc is installed: every container start copies the stage
// into a sealed memfd and execs it, and glibc's static link is 800 kB of it
// against musl's 80 kB; a monitor stays resident per detached container
// (740 kB against 100 kB). Whether they still do their work with musl is
// what every container test checks (run -d, logs, attach, restart: the monitor).
import { execFileSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { stagePath } from '../src/native/lib.js'

function musl(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v musl-gcc'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}
const muslGcc = musl()

describe('the stage program', () => {
  it.skipIf(muslGcc === undefined)('is linked with musl where musl-gcc is installed (skipped without it: apt-get install musl-tools)', () => {
    expect(readFileSync(stagePath().replace(/mini-run-stage$/, 'stage-cc'), 'utf8').trim()).toBe(muslGcc)
    const stage = readFileSync(stagePath())
    // glibc's static link names itself in its fatal messages ("Fatal glibc error: ...")
    expect(stage.includes('glibc')).toBe(false)
    expect(statSync(stagePath()).size).toBeLessThan(200_000)
  })

  it.skipIf(muslGcc === undefined)('mini-run-monitor is linked with musl too (skipped without musl-gcc)', () => {
    const monitor = stagePath().replace(/mini-run-stage$/, 'mini-run-monitor')
    expect(readFileSync(monitor).includes('glibc')).toBe(false)
    expect(statSync(monitor).size).toBeLessThan(200_000)
  })
})
