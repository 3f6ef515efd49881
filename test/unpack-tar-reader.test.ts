/**
 * The tar reader alone (src/image/tar-reader.ts): chunk boundaries, PAX
 * values kept as bytes, GNU base-256 numbers, bad input.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { layerTar } from '../src/image/oci-layout.js'
import { TarReader, type TarEntry } from '../src/image/tar-reader.js'
import { CAP_NET_RAW } from '../rootfs-fixtures/layers.js'

function read(tar: Buffer, chunkSize = tar.length): { entries: TarEntry[]; data: string[] } {
  const entries: TarEntry[] = []
  const data: string[] = []
  let current = ''
  const reader = new TarReader({
    entry: (e) => {
      entries.push(e)
      current = ''
    },
    data: (c) => (current += c.toString('latin1')),
    entryEnd: () => data.push(current),
  })
  for (let i = 0; i < tar.length; i += chunkSize) reader.write(tar.subarray(i, i + chunkSize))
  reader.end()
  return { entries, data }
}

test('the same entries whatever the chunk boundaries', async () => {
  const tar = await layerTar([
    { path: 'a', type: 'file', content: 'x'.repeat(1000) },
    { path: `${'p/'.repeat(80)}file`, type: 'file', content: 'deep', xattrs: { 'security.capability': CAP_NET_RAW } },
    { path: 'l', type: 'symlink', linkname: 't'.repeat(300) },
    { path: 'dev', type: 'char', major: 4, minor: 64 },
    { path: 'empty', type: 'file' },
  ])
  const whole = read(tar)
  expect(whole.entries.map((e) => [e.path, e.type, e.size])).toEqual([
    ['a', 'file', 1000],
    [`${'p/'.repeat(80)}file`, 'file', 4],
    ['l', 'symlink', 0],
    ['dev', 'char', 0],
    ['empty', 'file', 0],
  ])
  expect(whole.entries[1]!.xattrs?.get('security.capability')).toEqual(CAP_NET_RAW)
  expect(whole.entries[2]!.linkpath).toBe('t'.repeat(300))
  expect(whole.entries[3]).toMatchObject({ devmajor: 4, devminor: 64 })
  expect(whole.data).toEqual(['x'.repeat(1000), 'deep', '', '', ''])
  for (const size of [1, 7, 511, 512, 513, 4096]) {
    const r = read(tar, size)
    expect(r.entries).toEqual(whole.entries)
    expect(r.data).toEqual(whole.data)
  }
})

test('GNU base-256 numbers (ids past 7 octal digits)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-tar-'))
  try {
    writeFileSync(join(dir, 'f'), 'x')
    const tar = execFileSync('tar', ['--format=gnu', '--owner=3000000', '--group=4000000', '--numeric-owner', '-C', dir, '-cf', '-', 'f'])
    const [entry] = read(tar).entries
    expect(entry).toMatchObject({ path: 'f', uid: 3_000_000, gid: 4_000_000, size: 1 })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('truncated input, a bad checksum, an unsupported type, a bad PAX record', async () => {
  const tar = await layerTar([{ path: 'f', type: 'file', content: 'hello' }])
  expect(() => read(tar.subarray(0, 700))).toThrow(/truncated at byte 700/)
  const bad = Buffer.from(tar)
  bad[10] = 0x41
  expect(() => read(bad)).toThrow(/bad tar header checksum at byte 0/)
  const sparse = Buffer.from(tar)
  sparse[156] = 'S'.charCodeAt(0)
  // recompute the checksum so only the type is wrong
  sparse.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < 512; i++) sum += sparse[i]!
  sparse.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
  expect(() => read(sparse)).toThrow(/unsupported tar GNU sparse file at byte 0/)
  const pax = await layerTar([{ path: 'x', type: 'file', xattrs: { 'user.a': 'b' } }])
  const broken = Buffer.from(pax)
  broken.write('99', 512, 2, 'latin1') // the record length now runs past the header body
  expect(() => read(broken)).toThrow(/malformed PAX record/)
})
