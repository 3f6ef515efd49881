// realHost.removeTree: a container's directory goes whole (its network files,
// a writable layer the command wrote into), a symlink in it is removed and
// not followed, and a tree that is already gone is fine.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { realHost } from '../src/runtime/container/real-host.js'

describe('realHost.removeTree', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-rmtree-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('removes files, nested directories and symlinks, and follows none of them', () => {
    const outside = join(dir, 'outside')
    mkdirSync(outside)
    writeFileSync(join(outside, 'keep'), 'kept')
    const c = join(dir, 'container')
    mkdirSync(join(c, 'upper/etc/deep'), { recursive: true })
    mkdirSync(join(c, 'work/work'), { recursive: true })
    mkdirSync(join(c, 'rootfs'))
    for (const f of ['hosts', 'resolv.conf', 'hostname', 'upper/etc/deep/file']) writeFileSync(join(c, f), 'x')
    symlinkSync(outside, join(c, 'upper/link-to-dir'))
    symlinkSync(join(outside, 'keep'), join(c, 'upper/etc/link-to-file'))
    realHost.removeTree(c)
    expect(existsSync(c)).toBe(false)
    expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('kept')
  })

  it('a tree that is not there is no error', () => {
    expect(() => realHost.removeTree(join(dir, 'never'))).not.toThrow()
  })
})
