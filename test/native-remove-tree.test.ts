// mr_remove_tree (native/libminirun.c): rm -r of a container's writable layer
// on a thread of its own (run-foreground.ts), never following a symlink.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { removeTreeInThread } from '../src/native/file-calls.js'
import { isRoot } from './helpers/test-env.js'

describe('mr_remove_tree', () => {
  const made: string[] = []
  const scratch = () => {
    const dir = mkdtempSync('/var/tmp/mini-run-rmtree-')
    made.push(dir)
    return dir
  }
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('removes a tree of files, directories and symlinks, and never follows a symlink out of it', async () => {
    const base = scratch()
    const outside = join(base, 'outside')
    mkdirSync(join(outside, 'keep'), { recursive: true })
    writeFileSync(join(outside, 'keep', 'file'), 'mine')
    const tree = join(base, 'layer')
    mkdirSync(join(tree, 'upper', 'etc', 'deep', 'er'), { recursive: true })
    writeFileSync(join(tree, 'upper', 'etc', 'hosts'), '127.0.0.1 localhost\n')
    writeFileSync(join(tree, 'upper', 'etc', 'deep', 'er', 'x'), '')
    mkdirSync(join(tree, 'work', 'work'), { recursive: true })
    symlinkSync(outside, join(tree, 'upper', 'to-outside'))
    symlinkSync(join(outside, 'keep', 'file'), join(tree, 'upper', 'etc', 'to-file'))
    symlinkSync('/nonexistent', join(tree, 'dangling'))
    await removeTreeInThread(tree)
    expect(existsSync(tree)).toBe(false)
    expect(readdirSync(join(outside, 'keep'))).toEqual(['file'])
  })

  it('takes a path already gone as done, and refuses an empty one', async () => {
    await removeTreeInThread(join(scratch(), 'gone'))
    await expect(removeTreeInThread('')).rejects.toThrow(expect.objectContaining({ code: 'EINVAL' }))
  })

  it.runIf(isRoot)('stops at the first failure with its errno, the tree partly there (a mount point: EBUSY; needs root)', async () => {
    const tree = join(scratch(), 'layer')
    mkdirSync(join(tree, 'a', 'mnt'), { recursive: true })
    // a mount in this namespace: rmdir of its mount point is EBUSY
    try {
      execFileSync('mount', ['-t', 'tmpfs', 'none', join(tree, 'a', 'mnt')])
      await expect(removeTreeInThread(tree)).rejects.toThrow(expect.objectContaining({ code: 'EBUSY' }))
      expect(existsSync(join(tree, 'a', 'mnt'))).toBe(true)
    } finally {
      execFileSync('umount', ['-l', join(tree, 'a', 'mnt')])
    }
    await removeTreeInThread(tree)
    expect(existsSync(tree)).toBe(false)
  })
})
