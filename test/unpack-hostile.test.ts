/**
 * Hostile layers fail cleanly and write nothing outside the layer
 * directory. Every case of rootfs-fixtures/layers.js hostileLayers() runs
 * here; the advisories have their own files (test/ghsa-*, test/cve-*) with
 * variants.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, test } from 'vitest'
import { hostileLayers } from '../rootfs-fixtures/layers.js'
import { MiniRunError } from '../src/errors.js'
import type { LayerEntry } from '../src/image/oci-layout.js'
import { TarReader } from '../src/image/tar-reader.js'
import { DEFAULT_LIMITS } from '../src/image/layer-entry-checks.js'
import { LayerWriter } from '../src/image/unpack-layer.js'
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

// Random tar headers (fast-check, issue 13): any header a layer can carry,
// checksummed or not, with bodies that match its size or lie about it, PAX
// and GNU long names, links and paths aimed outside. The unpack ends with a
// tree or one MiniRunError line, never another exception or a hang, and
// writes nothing outside the layer directory.
describe('random tar headers (fast-check)', () => {
  const RUNS = Number(process.env.MINI_RUN_FUZZ_RUNS ?? 3000)
  const BLOCK = 512
  const aimedOutside = ['../outside/target.txt', '/outside/target.txt', 'escape/../../outside/target.txt', 'link/target.txt', 'link', '..', '.', '']
  const pathArb = fc.oneof(
    fc.constantFrom('a', 'dir/', 'dir/file', 'link', 'link/new', '.wh.a', 'dir/.wh..wh..opq', '.wh..wh.plnk', './x', 'a/b/c/d', ...aimedOutside),
    fc.string({ maxLength: 110 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  )
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0').slice(-(width - 1)) + '\0'
  const numberField = (width: number, small: fc.Arbitrary<number>) =>
    fc.oneof(
      { arbitrary: small.map((n) => Buffer.from(octal(n, width))), weight: 30 },
      fc.uint8Array({ minLength: width, maxLength: width }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: width }).map((s) => Buffer.from(s)),
      fc.bigInt({ min: 0n, max: 2n ** 70n }).map((v) => {
        const b = Buffer.alloc(width)
        b[0] = 0x80
        for (let i = width - 1; i > 0 && v > 0n; i--, v >>= 8n) b[i] = Number(v & 0xffn)
        return b
      }),
    )
  const paxArb = fc
    .array(
      fc.tuple(fc.constantFrom('path', 'linkpath', 'size', 'uid', 'gid', 'mtime', 'SCHILY.xattr.user.x', 'SCHILY.xattr.trusted.overlay.opaque', 'SCHILY.xattr.security.capability', 'x'), fc.oneof(pathArb, fc.nat().map(String))),
      { maxLength: 4 },
    )
    .map((records) =>
      records
        .map(([k, v]) => {
          const body = ` ${k}=${v}\n`
          let len = Buffer.byteLength(body) + 1
          while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body)
          return `${len}${body}`
        })
        .join(''),
    )
  const entryArb = fc.record({
    name: fc.oneof({ arbitrary: fc.constantFrom('a', 'b', 'dir/', 'dir/file', 'dir/sub/f'), weight: 4 }, pathArb),
    prefix: fc.oneof({ arbitrary: fc.constant(''), weight: 6 }, pathArb),
    linkname: pathArb,
    type: fc.oneof(
      { arbitrary: fc.constantFrom('0', '5', '2', '1', '\0'), weight: 12 },
      { arbitrary: fc.constantFrom('x', 'L', 'K', 'g', '3', '4', '6', '7'), weight: 3 },
      fc.constantFrom('S', 'V', 'D'),
      fc.string({ minLength: 1, maxLength: 1 }),
    ),
    mode: numberField(8, fc.nat({ max: 0o7777 })),
    uid: numberField(8, fc.nat({ max: 70000 })),
    gid: numberField(8, fc.nat({ max: 70000 })),
    size: fc.nat({ max: 700 }),
    sizeLies: fc.oneof({ arbitrary: fc.constant(0), weight: 12 }, fc.integer({ min: -600, max: 600 })),
    sizeField: fc.oneof({ arbitrary: fc.constant(null), weight: 20 }, numberField(12, fc.nat({ max: 2 ** 33 }))),
    magic: fc.oneof({ arbitrary: fc.constantFrom('ustar\u000000', 'ustar  \u0000'), weight: 8 }, fc.string({ maxLength: 8 })),
    checksumOk: fc.oneof({ arbitrary: fc.constant(true), weight: 30 }, fc.constant(false)),
    pax: paxArb,
    devmajor: numberField(8, fc.nat({ max: 300 })),
  })

  function header(e: typeof entryArb extends fc.Arbitrary<infer T> ? T : never): Buffer {
    const isPax = e.type === 'x' || e.type === 'g'
    const isLong = e.type === 'L' || e.type === 'K'
    const hasData = ['0', '\0', '7'].includes(e.type)
    const body = isPax ? Buffer.from(e.pax) : isLong ? Buffer.from(e.linkname + '\0') : Buffer.alloc(hasData ? e.size : 0, 0x61)
    const h = Buffer.alloc(BLOCK)
    h.write(e.name, 0, 100, 'utf8')
    e.mode.copy(h, 100, 0, 8)
    e.uid.copy(h, 108, 0, 8)
    e.gid.copy(h, 116, 0, 8)
    ;(e.sizeField ?? Buffer.from(octal(Math.max(0, body.length + e.sizeLies), 12))).copy(h, 124, 0, 12)
    h.write(octal(0, 12), 136, 12, 'latin1')
    h.write(e.type, 156, 1, 'latin1')
    h.write(e.linkname, 157, 100, 'utf8')
    h.write(e.magic, 257, 8, 'latin1')
    e.devmajor.copy(h, 329, 0, 8)
    h.write(e.prefix, 345, 155, 'utf8')
    h.fill(0x20, 148, 156)
    let sum = 0
    for (const b of h) sum += b
    h.write(octal(e.checksumOk ? sum : sum + 1, 7) + ' ', 148, 8, 'latin1')
    const padded = Buffer.alloc(Math.ceil(body.length / BLOCK) * BLOCK)
    body.copy(padded)
    return Buffer.concat([h, padded])
  }

  test.each([true, false])('rootless=%s: a tree or one MiniRunError line, nothing outside the layer', (rootless) => {
    const sandbox = mkdtempSync(join(tmpdir(), 'mini-run-fuzz-tar-'))
    try {
      mkdirSync(join(sandbox, 'outside'))
      writeFileSync(join(sandbox, 'outside', 'target.txt'), 'original')
      const limits = { ...DEFAULT_LIMITS, maxBytes: 1 << 20, maxEntries: 64, maxDepth: 32 }
      const outcomes = new Map<string, number>()
      let written = 0
      fc.assert(
        fc.property(fc.array(entryArb, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.array(fc.nat({ max: 2000 }), { maxLength: 4 }), (entries, ended, cuts) => {
          const bytes = Buffer.concat([...entries.map(header), ended ? Buffer.alloc(2 * BLOCK) : Buffer.alloc(0)])
          const layer = join(sandbox, 'layer')
          const writer = new LayerWriter(layer, { rootless, limits, label: 'sha256:fuzz' })
          const reader = new TarReader(writer)
          try {
            let pos = 0
            for (const cut of [...cuts.sort((a, b) => a - b), bytes.length]) {
              reader.write(bytes.subarray(pos, Math.max(pos, Math.min(cut, bytes.length))))
              pos = Math.max(pos, Math.min(cut, bytes.length))
            }
            reader.end()
            writer.finish()
            outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1)
            written += writer.entries
          } catch (err) {
            writer.abort()
            if (!(err instanceof MiniRunError) || /[\n\r]/.test(err.message)) throw err
            const kind = err.message.replace(/^layer sha256:fuzz: (entry .*?: )?/, '').replace(/[":0-9].*$/, '')
            outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1)
          } finally {
            rmSync(layer, { recursive: true, force: true })
          }
          expect(readdirSync(sandbox).sort()).toEqual(['outside'])
          expect(readdirSync(join(sandbox, 'outside'))).toEqual(['target.txt'])
          expect(readFileSync(join(sandbox, 'outside', 'target.txt'), 'utf8')).toBe('original')
        }),
        { numRuns: rootless ? RUNS : Math.floor(RUNS / 3) },
      )
      // hostile, not hopeless: some layers unpack, with files in them, and others fail in many ways
      expect(outcomes.get('ok')).toBeGreaterThan((rootless ? RUNS : RUNS / 3) / 20)
      expect(written).toBeGreaterThan(0)
      expect(outcomes.size).toBeGreaterThan(5)
    } finally {
      rmSync(sandbox, { recursive: true, force: true })
    }
  }, 120_000)
})
