// readImageFile: a file of the image read from its unpacked layers (top
// first), honouring opaque directories; the bottom layer's marks are not read
// (nothing lies below it), and only the value "y" makes a directory opaque,
// as overlayfs reads it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as fileCalls from '../src/native/file-calls.js'
import { isOpaqueDir } from '../src/image/overlay-marks.js'
import { readImageFile } from '../src/runtime/container/image-files.js'

describe('readImageFile', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))
  const layer = (files: Record<string, string>, opaque: Record<string, string> = {}) => {
    const d = mkdtempSync(join(tmpdir(), 'mini-run-layer-'))
    dirs.push(d)
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(d, path, '..'), { recursive: true })
      writeFileSync(join(d, path), text)
    }
    for (const [dir, value] of Object.entries(opaque)) {
      mkdirSync(join(d, dir), { recursive: true })
      fileCalls.lsetxattr(join(d, dir), 'user.overlay.opaque', Buffer.from(value))
    }
    return d
  }

  it('reads the topmost layer that has the file', () => {
    const bottom = layer({ 'etc/passwd': 'bottom\n' })
    const top = layer({ 'etc/passwd': 'top\n' })
    expect(readImageFile([top, bottom], 'etc/passwd')).toBe('top\n')
    expect(readImageFile([layer({ 'etc/group': 'g\n' }), bottom], 'etc/passwd')).toBe('bottom\n')
  })

  it('an opaque directory in an upper layer hides the file below it; a value other than "y" does not', () => {
    const bottom = layer({ 'etc/passwd': 'bottom\n' })
    expect(readImageFile([layer({}, { etc: 'y' }), bottom], 'etc/passwd')).toBeUndefined()
    const notOpaque = layer({}, { etc: 'yes' })
    expect(isOpaqueDir(join(notOpaque, 'etc'))).toBe(false)
    expect(readImageFile([notOpaque, bottom], 'etc/passwd')).toBe('bottom\n')
  })

  it('reads the bottom layer\'s file whatever its own directory\'s mark says', () => {
    const only = layer({ 'etc/passwd': 'only\n' }, { etc: 'y' })
    expect(isOpaqueDir(join(only, 'etc'))).toBe(true)
    expect(readImageFile([only], 'etc/passwd')).toBe('only\n')
    expect(readImageFile([only], 'etc/group')).toBeUndefined()
  })
})
