// The stage program (native/Makefile) is linked with musl where musl-gcc is
// installed: every container start copies it into a sealed memfd and execs
// it, and glibc's static link is 800 kB of it against musl's 80 kB. Whether
// it still does its work with musl is what every container test checks.
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
    expect(readFileSync(stagePath.replace(/mini-run-stage$/, 'stage-cc'), 'utf8').trim()).toBe(muslGcc)
    const stage = readFileSync(stagePath)
    // glibc's static link names itself in its fatal messages ("Fatal glibc error: ...")
    expect(stage.includes('glibc')).toBe(false)
    expect(statSync(stagePath).size).toBeLessThan(200_000)
  })
})
