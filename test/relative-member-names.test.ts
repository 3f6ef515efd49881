/**
 * import's rewrite of absolute member names (src/writable-layer/relative-member-names.ts)
 * alone: ustar names and prefixes, PAX path and linkpath, GNU long names
 * (GNU tar -P's own archive), at any chunk boundary; what has no leading
 * slash passes byte for byte. The store's refusal of what is left ("..")
 * is import.test.ts's.
 */
import { execFileSync } from 'node:child_process'
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { layerTar } from '../src/image/oci-layout.js'
import { TarReader } from '../src/image/tar-reader.js'
import { relativeMemberNames } from '../src/writable-layer/relative-member-names.js'

async function rewrite(tar: Buffer, chunkSize: number): Promise<Buffer> {
  async function* chunks() {
    for (let i = 0; i < tar.length; i += chunkSize) yield tar.subarray(i, i + chunkSize)
  }
  const out: Buffer[] = []
  for await (const piece of relativeMemberNames(chunks())) out.push(piece)
  return Buffer.concat(out)
}

/** [path, type, linkpath, content] of each entry, as the store's reader reads them. */
function entries(tar: Buffer): [string, string, string, string][] {
  const seen: [string, string, string, string][] = []
  const reader = new TarReader({
    entry: (e) => void seen.push([e.path, e.type, e.linkpath, '']),
    data: (c) => void (seen.at(-1)![3] += c.toString('latin1')),
    entryEnd: () => {},
  })
  reader.write(tar)
  reader.end()
  return seen
}

test('ustar names and prefixes, PAX paths and a hardlink\'s target lose their leading slashes; a symlink\'s target and ".." stay', async () => {
  const deep = `${'p/'.repeat(70)}deep`
  const longer = `${'q/'.repeat(150)}longer`
  const tar = await layerTar([
    { path: '/', type: 'dir' },
    { path: '//a/', type: 'dir' },
    { path: '/a/f', type: 'file', content: 'the file' },
    { path: `/${deep}`, type: 'file', content: 'in a ustar prefix' },
    { path: `/${longer}`, type: 'file', content: 'x'.repeat(700) },
    { path: '/a/hl', type: 'hardlink', linkname: '/a/f' },
    { path: '/a/hl-long', type: 'hardlink', linkname: `/${longer}` },
    { path: '/a/sl', type: 'symlink', linkname: '/a/f' },
    { path: '/a/sl-long', type: 'symlink', linkname: `/${longer}` },
    { path: '/../up', type: 'file', content: 'climbs' },
    { path: './rel', type: 'file', content: 'as it was' },
  ])
  const expected = [
    ['./', 'dir', '', ''],
    ['a/', 'dir', '', ''],
    ['a/f', 'file', '', 'the file'],
    [deep, 'file', '', 'in a ustar prefix'],
    [longer, 'file', '', 'x'.repeat(700)],
    ['a/hl', 'hardlink', 'a/f', ''],
    ['a/hl-long', 'hardlink', longer, ''],
    ['a/sl', 'symlink', '/a/f', ''],
    ['a/sl-long', 'symlink', `/${longer}`, ''],
    ['../up', 'file', '', 'climbs'],
    ['./rel', 'file', '', 'as it was'],
  ]
  expect(entries(tar).map((e) => e[0])[1]).toBe('//a/')
  for (const chunkSize of [tar.length, 512, 7]) expect(entries(await rewrite(tar, chunkSize))).toEqual(expected)
})

test('an archive without absolute names passes byte for byte (its digest, the diff id, is the same); so do the bytes after its end', async () => {
  const tar = await layerTar([
    { path: 'a/', type: 'dir' },
    { path: 'a/f', type: 'file', content: 'y'.repeat(1025) },
    { path: `${'r/'.repeat(150)}long`, type: 'file', content: 'z' },
    { path: 'a/hl', type: 'hardlink', linkname: 'a/f' },
  ])
  const trailing = Buffer.concat([tar, Buffer.from('not a header at all')])
  for (const chunkSize of [trailing.length, 100]) expect((await rewrite(trailing, chunkSize)).equals(trailing)).toBe(true)
  // what is no tar passes as it came, for the store to refuse
  const junk = Buffer.from('this is not a tar archive\n'.repeat(40))
  expect((await rewrite(junk, 64)).equals(junk)).toBe(true)
})

test('GNU tar -P\'s own archive (long names and a long hardlink target as GNU records): every name relative', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-abs-'))
  try {
    const long = join(dir, `${'d'.repeat(60)}/${'e'.repeat(60)}`)
    mkdirSync(long, { recursive: true })
    writeFileSync(join(long, 'file'), 'content')
    linkSync(join(long, 'file'), join(long, 'again'))
    const archive = join(dir, 'abs.tar')
    execFileSync('tar', ['--format=gnu', '-cPf', archive, long], { stdio: ['ignore', 'ignore', 'pipe'] })
    const tar = readFileSync(archive)
    const before = entries(tar)
    expect(before.every(([path]) => path.startsWith('/'))).toBe(true)
    expect(before.find((e) => e[1] === 'hardlink')![2]).toMatch(/^\//)
    const after = entries(await rewrite(tar, 333))
    expect(after).toEqual(before.map(([path, type, link, data]) => [path.slice(1), type, type === 'hardlink' ? link.slice(1) : link, data]))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** One ustar header block, as tar writes it: name, mode, size, type and its checksum. */
function header(name: string, size: number, type: string): Buffer {
  const block = Buffer.alloc(512)
  block.write(name, 0, 100, 'latin1')
  block.write('0000644\0', 100, 'latin1')
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1')
  block.write(type, 156, 'latin1')
  block.write('ustar\x0000', 257, 'latin1')
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const b of block) sum += b
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return block
}
const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)])

test('a PAX header whose records end in bytes that hold no record is read as the store reads it (up to them): its path loses its slashes too', async () => {
  const records = Buffer.concat([Buffer.from('22 path=/abs/in-pax.t\n'), Buffer.from('10 size=3\n'), Buffer.alloc(6)])
  const tar = Buffer.concat([header('pax', records.length, 'x'), pad(records), header('ignored-name', 0o7777, '0'), pad(Buffer.from('abc')), Buffer.alloc(1024)])
  // the store's reader takes the PAX size (3) over the header's, and stops at the NULs
  expect(entries(tar)).toEqual([['/abs/in-pax.t', 'file', '', 'abc']])
  expect(entries(await rewrite(tar, 100))).toEqual([['abs/in-pax.t', 'file', '', 'abc']])
})

test('a consumer that stops early ends the source (a decompressor\'s child with it)', async () => {
  let ended = false
  async function* source() {
    try {
      yield header('/big', 1024 * 1024, '0')
      for (;;) yield Buffer.alloc(64 * 1024, 0x61)
    } finally {
      ended = true
    }
  }
  for await (const chunk of relativeMemberNames(source())) {
    expect(chunk.subarray(0, 3).toString()).toBe('big')
    break
  }
  expect(ended).toBe(true)
})
