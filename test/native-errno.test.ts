// The native calls whose expected failure is an answer, not an error:
// lgetxattr's ENODATA (no such attribute: null) and flock's EWOULDBLOCK (held
// elsewhere: false). They are told apart by util's errno names, not node:os.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as fileCalls from '../src/native/file-calls.js'
import { failedWith } from '../src/native/lib.js'
import * as lockCalls from '../src/native/lock-calls.js'

describe('failed native calls that are answers', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'mini-run-errno-'))
    dirs.push(d)
    return d
  }

  it('failedWith names -errno results only', () => {
    expect(failedWith(-61, 'ENODATA')).toBe(true)
    expect(failedWith(-11, 'EAGAIN')).toBe(true)
    expect(failedWith(-2, 'ENODATA')).toBe(false)
    expect(failedWith(0, 'ENODATA')).toBe(false)
    expect(failedWith(61, 'ENODATA')).toBe(false)
  })

  it('lgetxattr: null for an absent attribute, an error for a missing file', () => {
    const file = join(tmp(), 'f')
    writeFileSync(file, '')
    fileCalls.lsetxattr(file, 'user.present', Buffer.from('y'))
    expect(fileCalls.lgetxattr(file, 'user.present')?.toString()).toBe('y')
    expect(fileCalls.lgetxattr(file, 'user.absent')).toBeNull()
    expect(() => fileCalls.lgetxattr(join(file, 'missing'), 'user.absent')).toThrow(/ENOTDIR|Not a directory/)
  })

  it('tryFlock: false while another open file description holds the lock, true once it is released', () => {
    const file = join(tmp(), 'lock')
    writeFileSync(file, '')
    const a = openSync(file, 'r')
    const b = openSync(file, 'r')
    try {
      expect(lockCalls.tryFlock(a, 'exclusive')).toBe(true)
      expect(lockCalls.tryFlock(b, 'exclusive')).toBe(false)
      expect(lockCalls.tryFlock(b, 'shared')).toBe(false)
      lockCalls.flock(a, 'unlock')
      expect(lockCalls.tryFlock(b, 'shared')).toBe(true)
    } finally {
      closeSync(a)
      closeSync(b)
    }
  })
})
