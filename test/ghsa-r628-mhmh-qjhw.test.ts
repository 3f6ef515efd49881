/**
 * GHSA-r628-mhmh-qjhw (node-tar CVE-2021-32803): a directory entry, then a
 * symlink of the same name pointing outside, then a file under that name.
 * node-tar's directory cache still believed the directory existed and wrote
 * through the symlink. Our model drops a replaced directory's subtree.
 */
import { afterEach, expect, test } from 'vitest'
import { expectRejected, hostileEnv, type HostileEnv } from './helpers/image-store.js'

let h: HostileEnv | undefined
afterEach(() => {
  h?.env.cleanup()
  h = undefined
})

test('dir, then a symlink of the same name, then a file through it', async () => {
  h = hostileEnv()
  const err = await expectRejected(h, [
    { path: 'victim', type: 'dir' },
    { path: 'victim', type: 'symlink', linkname: h.outside },
    { path: 'victim/escape.txt', type: 'file', content: 'x' },
  ])
  expect(err.message).toMatch(/parent "victim" is a symlink/)
})

test('a deeper directory replaced, then a nested write', async () => {
  h = hostileEnv()
  await expectRejected(h, [
    { path: 'a/b/c/', type: 'dir' },
    { path: 'a/b', type: 'symlink', linkname: h.outside },
    { path: 'a/b/c/escape.txt', type: 'file', content: 'x' },
  ])
})

test('an ancestor replaced by a symlink, then a directory entry under it', async () => {
  h = hostileEnv()
  await expectRejected(h, [
    { path: 'a/', type: 'dir' },
    { path: 'a/inner/', type: 'dir' },
    { path: 'a', type: 'symlink', linkname: h.outside },
    { path: 'a/inner/', type: 'dir', mode: 0o777 },
  ])
})

test('rootless stores behave the same', async () => {
  h = hostileEnv({ rootless: true })
  await expectRejected(h, [
    { path: 'victim', type: 'dir' },
    { path: 'victim', type: 'symlink', linkname: h.outside },
    { path: 'victim/escape.txt', type: 'file', content: 'x' },
  ])
})
