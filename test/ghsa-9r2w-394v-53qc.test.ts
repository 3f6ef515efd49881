/**
 * GHSA-9r2w-394v-53qc (node-tar CVE-2021-37701): the directory cache keyed
 * paths as written, so "victim/" and "victim" or "./victim//" were
 * different keys and a symlink replacing the directory left a stale entry.
 * We normalize every path into components before using it as a key.
 */
import { lstatSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { expectRejected, hostileEnv, tryUnpack, type HostileEnv } from './helpers/image-store.js'

let h: HostileEnv | undefined
afterEach(() => {
  h?.env.cleanup()
  h = undefined
})

test.each([
  ['victim/', './victim//', 'victim/escape.txt'],
  ['./victim', 'victim/', './victim/escape.txt'],
  ['victim//', 'victim', 'victim//escape.txt'],
  ['a/./victim/', 'a/victim', 'a/victim/./escape.txt'],
])('dir %j, symlink %j, file %j', async (dir, link, file) => {
  h = hostileEnv()
  await expectRejected(h, [
    { path: dir, type: 'dir' },
    { path: link, type: 'symlink', linkname: h.outside },
    { path: file, type: 'file', content: 'x' },
  ])
})

test('a backslash is part of a name on Linux, not a separator', async () => {
  h = hostileEnv()
  const { error, fs } = await tryUnpack(h.env.store, [
    { path: 'victim', type: 'symlink', linkname: h.outside },
    { path: 'victim\\escape.txt', type: 'file', content: 'x' },
  ])
  expect(error).toBeUndefined()
  expect(lstatSync(join(fs!, 'victim\\escape.txt')).isFile()).toBe(true)
})
