/**
 * GHSA-3jfq-g458-7qm9 (node-tar CVE-2021-32804): absolute paths with
 * several leading slashes survived node-tar's stripping ("////etc/x" became
 * "/etc/x"). We do not strip: any absolute path or hardlink target is an
 * error. (Symlink targets are data, kept verbatim: see unpack-layer tests.)
 */
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { expectRejected, hostileEnv, type HostileEnv } from './helpers/image-store.js'

let h: HostileEnv | undefined
afterEach(() => {
  h?.env.cleanup()
  h = undefined
})

test.each(['/', '//', '////'])('a file at %s<host path>', async (slashes) => {
  h = hostileEnv()
  const err = await expectRejected(h, [{ path: slashes + join(h.outside, 'escape.txt').slice(1), type: 'file', content: 'x' }])
  expect(err.message).toMatch(/absolute path/)
})

test('an absolute directory entry', async () => {
  h = hostileEnv()
  await expectRejected(h, [{ path: `${h.outside}/newdir/`, type: 'dir' }])
})

test('a hardlink whose target is an absolute host path', async () => {
  h = hostileEnv()
  const err = await expectRejected(h, [{ path: 'hl', type: 'hardlink', linkname: `${h.outside}/target.txt` }])
  expect(err.message).toMatch(/hardlink target .*absolute path/)
})

test('"/.." and "/../" forms', async () => {
  h = hostileEnv()
  await expectRejected(h, [{ path: `/../..${h.outside}/escape.txt`, type: 'file', content: 'x' }])
})
