/**
 * Hostile layers fail cleanly and write nothing outside the layer
 * directory. Every case of rootfs-fixtures/layers.js hostileLayers() runs
 * here; the advisories have their own files (test/ghsa-*, test/cve-*) with
 * variants.
 */
import { readFileSync, lstatSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { hostileLayers } from '../rootfs-fixtures/layers.js'
import type { LayerEntry } from '../src/image/oci-layout.js'
import { hostileEnv, tmpEntries, tryUnpack, visibleStore, type HostileEnv } from './helpers/image-store.js'

let h: HostileEnv | undefined
afterEach(() => {
  h?.env.cleanup()
  h = undefined
})

const cases = hostileLayers('/OUTSIDE')

describe.each(cases.filter((c) => c.expect === 'reject').map((c) => [c.name, c] as const))('%s is rejected', (name) => {
  test.each([false, true])('rootless=%s: fails naming the layer, leaves nothing', async (rootless) => {
    h = hostileEnv({ rootless })
    const layer = hostileLayers(h.outside).find((c) => c.name === name)!
    const before = h.snapshot()
    const { error, digest } = await tryUnpack(h.env.store, layer.entries as LayerEntry[])
    expect(error, 'the layer must not unpack').toBeDefined()
    expect(error!.code).toBe('EBADLAYER')
    expect(error!.message).toContain(digest)
    expect(h.snapshot()).toBe(before)
    expect(readFileSync(join(h.outside, 'target.txt'), 'utf8')).toBe('original')
    expect(visibleStore(h.env.store).filter((p) => p.startsWith('layers/'))).toEqual([])
    expect(tmpEntries(h.env.store)).toEqual([])
  })
})

describe('contained, not rejected', () => {
  test('a file entry over a symlink replaces the link and leaves its target alone', async () => {
    h = hostileEnv()
    const layer = hostileLayers(h.outside).find((c) => c.name === 'file-over-symlink')!
    const before = h.snapshot()
    const { error, fs } = await tryUnpack(h.env.store, layer.entries as LayerEntry[])
    expect(error).toBeUndefined()
    expect(lstatSync(join(fs!, 'link')).isFile()).toBe(true)
    expect(readFileSync(join(fs!, 'link'), 'utf8')).toBe('replaces the link, not the target')
    expect(h.snapshot()).toBe(before)
  })

  test('a symlink to a host path is stored as a link and never followed', async () => {
    h = hostileEnv()
    const layer = hostileLayers(h.outside).find((c) => c.name === 'symlink-to-outside-only')!
    const before = h.snapshot()
    const { error, fs } = await tryUnpack(h.env.store, layer.entries as LayerEntry[])
    expect(error).toBeUndefined()
    expect(lstatSync(join(fs!, 'etc')).isSymbolicLink()).toBe(true)
    expect(h.snapshot()).toBe(before)
  })

  test('every fixture case is covered by this file', () => {
    expect(cases.filter((c) => c.expect === 'contain').map((c) => c.name)).toEqual(['file-over-symlink', 'symlink-to-outside-only'])
  })
})

describe('resource caps', () => {
  test('more entries than maxEntries', async () => {
    h = hostileEnv({ limits: { maxEntries: 10 } })
    const entries: LayerEntry[] = Array.from({ length: 11 }, (_, i) => ({ path: `f${i}`, type: 'file' }))
    const { error } = await tryUnpack(h.env.store, entries)
    expect(error?.code).toBe('ELAYERLIMIT')
    expect(error?.message).toMatch(/more than 10 entries/)
    expect(visibleStore(h.env.store).filter((p) => p.startsWith('layers/'))).toEqual([])
    expect(tmpEntries(h.env.store)).toEqual([])
  })

  test('more content than maxBytes, counted across files', async () => {
    h = hostileEnv({ limits: { maxBytes: 1000 } })
    const { error } = await tryUnpack(h.env.store, [
      { path: 'a', type: 'file', content: 'x'.repeat(600) },
      { path: 'b', type: 'file', content: 'x'.repeat(600) },
    ])
    expect(error?.code).toBe('ELAYERLIMIT')
    expect(error?.message).toMatch(/more than 1000 bytes/)
    expect(tmpEntries(h.env.store)).toEqual([])
  })

  test('deeper than maxDepth', async () => {
    h = hostileEnv({ limits: { maxDepth: 8 } })
    const { error } = await tryUnpack(h.env.store, [{ path: 'a/'.repeat(9) + 'f', type: 'file' }])
    expect(error?.code).toBe('ELAYERLIMIT')
    expect(error?.message).toMatch(/more than 8 directories deep/)
  })

  test('the caps allow exactly the limit', async () => {
    h = hostileEnv({ limits: { maxEntries: 3, maxBytes: 10, maxDepth: 3 } })
    const { error } = await tryUnpack(h.env.store, [
      { path: 'a/b/c', type: 'file', content: '12345' },
      { path: 'a/b/d', type: 'file', content: '12345' },
      { path: 'e', type: 'dir' },
    ])
    expect(error).toBeUndefined()
  })
})

test('a hardlink to a directory is refused', async () => {
  h = hostileEnv()
  const { error } = await tryUnpack(h.env.store, [
    { path: 'd', type: 'dir' },
    { path: 'l', type: 'hardlink', linkname: 'd' },
  ])
  expect(error?.code).toBe('EBADLAYER')
  expect(error?.message).toMatch(/is a directory/)
})
