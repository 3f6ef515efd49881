/**
 * What an unpacked layer looks like on disk: whiteouts, opaque dirs, modes,
 * owners, times, links, devices, xattrs (src/image/unpack-layer.ts).
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync, linkSync, symlinkSync, utimesSync, chownSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, test } from 'vitest'
import { sha256Digest } from '../src/image/digest.js'
import * as fileCalls from '../src/native/file-calls.js'
import { CAP_NET_RAW, multiLayerImage } from '../rootfs-fixtures/layers.js'
import type { LayerEntry } from '../src/image/oci-layout.js'
import { chainIds, isRoot, readTree, ROOT_SKIP_REASON, tempStore, unpackEntries, type TempStore } from './helpers/image-store.js'

let env: TempStore | undefined
afterEach(() => {
  env?.cleanup()
  env = undefined
})
function store(opts: { rootless?: boolean } = {}) {
  env = tempStore(opts)
  return env.store
}

const entries = (e: unknown) => e as LayerEntry[]

describe('whiteouts and opaque directories', () => {
  test('".wh.<name>" becomes a 0:0 char device, ".wh..wh..opq" the opaque xattr', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, entries(multiLayerImage[1]))
    const tree = readTree(fs)
    expect(tree.get('data/deleted.txt')).toMatchObject({ type: 'char', rdev: [0, 0] })
    expect(tree.has('data/.wh.deleted.txt')).toBe(false)
    expect(tree.has('opaque/.wh..wh..opq')).toBe(false)
    const xattr = s.rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque'
    expect(fileCalls.lgetxattr(join(fs, 'opaque'), xattr)?.toString()).toBe('y')
    expect(fileCalls.lgetxattr(join(fs, 'data'), xattr)).toBeNull()
  })

  test('the result does not depend on entry order', async () => {
    const s = store()
    const layer: LayerEntry[] = [
      { path: 'd/.wh..wh..opq', type: 'file' },
      { path: 'd/.wh.gone', type: 'file' },
      { path: 'd', type: 'dir', mode: 0o711, mtime: 1234 },
      { path: 'd/f', type: 'file', content: 'f' },
    ]
    const reversed = [layer[3]!, layer[2]!, layer[1]!, layer[0]!]
    const a = readTree((await unpackEntries(s, layer)).fs)
    env!.cleanup()
    const s2 = store()
    const b = readTree((await unpackEntries(s2, reversed)).fs)
    const strip = (t: Map<string, unknown>) =>
      [...t].map(([k, v]) => [k, { ...(v as object), ino: 0 }])
    expect(strip(a)).toEqual(strip(b))
    expect(a.get('d')).toMatchObject({ type: 'dir', mode: 0o711, mtime: 1234 })
    expect(a.get('d/gone')).toMatchObject({ type: 'char', rdev: [0, 0] })
  })

  test('a whiteout of a name the same layer ships is dropped; for a directory it makes it opaque', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [
      { path: 'file', type: 'whiteout' },
      { path: 'file', type: 'file', content: 'new' },
      { path: 'dir', type: 'dir' },
      { path: 'dir/x', type: 'file', content: 'x' },
      { path: 'dir', type: 'whiteout' },
    ])
    const tree = readTree(fs)
    expect(tree.get('file')).toMatchObject({ type: 'file', content: 'new' })
    expect(tree.get('dir')).toMatchObject({ type: 'dir' })
    const xattr = s.rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque'
    expect(fileCalls.lgetxattr(join(fs, 'dir'), xattr)?.toString()).toBe('y')
  })

  test('rootless stores mark opaque dirs with user.overlay.opaque', async () => {
    const s = store({ rootless: true })
    const { fs } = await unpackEntries(s, [{ path: 'o', type: 'opaque' }, { path: 'o/keep', type: 'file' }])
    expect(fileCalls.lgetxattr(join(fs, 'o'), 'user.overlay.opaque')?.toString()).toBe('y')
    expect(fileCalls.lgetxattr(join(fs, 'o'), 'trusted.overlay.opaque')).toBeNull()
  })

  test('aufs metadata entries (.wh..wh.plnk) are ignored', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [{ path: '.wh..wh.plnk/123.456', type: 'file', content: 'x' }, { path: 'a', type: 'file' }])
    expect([...readTree(fs).keys()]).toEqual(['a'])
  })
})

describe('modes, times and links', () => {
  test('exact modes whatever the umask: setuid, setgid, sticky, 0777, 0000', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [
      { path: 'suid', type: 'file', mode: 0o4755 },
      { path: 'sgid', type: 'file', mode: 0o2711 },
      { path: 'sticky', type: 'dir', mode: 0o1777 },
      { path: 'sgid-dir', type: 'dir', mode: 0o2775 },
      { path: 'all', type: 'file', mode: 0o777 },
      { path: 'none', type: 'file', mode: 0o000, content: 'secret' },
      { path: 'ro-dir', type: 'dir', mode: 0o555 },
      { path: 'ro-dir/inside', type: 'file', mode: 0o666 },
    ])
    const tree = readTree(fs)
    expect(tree.get('suid')!.mode).toBe(0o4755)
    expect(tree.get('sgid')!.mode).toBe(0o2711)
    expect(tree.get('sticky')!.mode).toBe(0o1777)
    expect(tree.get('sgid-dir')!.mode).toBe(0o2775)
    expect(tree.get('all')!.mode).toBe(0o777)
    expect(tree.get('none')).toMatchObject({ mode: 0, size: 6 })
    expect(tree.get('ro-dir')!.mode).toBe(0o555)
    expect(tree.get('ro-dir/inside')!.mode).toBe(0o666)
  })

  test('a 0555 directory is filled without privileges too (rootless)', async () => {
    const s = store({ rootless: true })
    const { fs } = await unpackEntries(s, [
      { path: 'ro', type: 'dir', mode: 0o555 },
      { path: 'ro/sub', type: 'dir', mode: 0o500 },
      { path: 'ro/sub/f', type: 'file', mode: 0o4755, content: 'x' },
    ])
    const tree = readTree(fs)
    expect(tree.get('ro')!.mode).toBe(0o555)
    expect(tree.get('ro/sub')!.mode).toBe(0o500)
    expect(tree.get('ro/sub/f')!.mode).toBe(0o4755)
  })

  test('mtimes of files, symlinks and directories (set after their content)', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [
      { path: 'd', type: 'dir', mtime: 1_000_000_000 },
      { path: 'd/e', type: 'dir', mtime: 1_100_000_000 },
      { path: 'd/e/f', type: 'file', mtime: 1_200_000_000, content: 'x' },
      { path: 'd/l', type: 'symlink', linkname: 'e/f', mtime: 1_300_000_000 },
      { path: 'd/e/.wh.gone', type: 'file' },
    ])
    const tree = readTree(fs)
    expect(tree.get('d')!.mtime).toBe(1_000_000_000)
    expect(tree.get('d/e')!.mtime).toBe(1_100_000_000)
    expect(tree.get('d/e/f')!.mtime).toBe(1_200_000_000)
    expect(tree.get('d/l')!.mtime).toBe(1_300_000_000)
  })

  test('hardlinks share an inode; symlink targets are kept verbatim, absolute ones too', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [
      { path: 'a/orig', type: 'file', content: 'shared' },
      { path: 'b/link', type: 'hardlink', linkname: 'a/orig' },
      { path: 'c', type: 'hardlink', linkname: './a/orig' },
      { path: 'abs', type: 'symlink', linkname: '/etc/shadow' },
      { path: 'dangling', type: 'symlink', linkname: '../../../nowhere' },
      { path: 'proc', type: 'symlink', linkname: '/proc/self/root' },
    ])
    const tree = readTree(fs)
    const orig = tree.get('a/orig')!
    expect(orig.nlink).toBe(3)
    expect(tree.get('b/link')!.ino).toBe(orig.ino)
    expect(tree.get('c')!.ino).toBe(orig.ino)
    expect(tree.get('abs')).toMatchObject({ type: 'symlink', linkname: '/etc/shadow' })
    expect(tree.get('dangling')).toMatchObject({ type: 'symlink', linkname: '../../../nowhere' })
    expect(tree.get('proc')).toMatchObject({ type: 'symlink', linkname: '/proc/self/root' })
  })

  test('a hardlink to a file this layer does not hold fails naming the entry', async () => {
    const s = store()
    await expect(unpackEntries(s, [{ path: 'l', type: 'hardlink', linkname: 'bin/sh' }])).rejects.toThrow(
      /entry "l": hardlink target "bin\/sh" is not in this layer/,
    )
  })

  test('later entries replace earlier ones, whatever their types', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [
      { path: 'f', type: 'file', content: 'first' },
      { path: 'f', type: 'file', content: 'second' },
      { path: 'd', type: 'dir' },
      { path: 'd/child', type: 'file' },
      { path: 'd', type: 'file', content: 'now a file' },
      { path: 'x', type: 'file' },
      { path: 'x', type: 'dir', mode: 0o700 },
      { path: 'x/in', type: 'file', content: 'in' },
      { path: 'k', type: 'dir', mode: 0o700 },
      { path: 'k/kept', type: 'file' },
      { path: 'k', type: 'dir', mode: 0o755 },
      { path: 's', type: 'symlink', linkname: '/' },
      { path: 's', type: 'dir' },
      { path: 's/t', type: 'file', content: 't' },
    ])
    const tree = readTree(fs)
    expect(tree.get('f')!.content).toBe('second')
    expect(tree.get('d')).toMatchObject({ type: 'file', content: 'now a file' })
    expect(tree.has('d/child')).toBe(false)
    expect(tree.get('x')).toMatchObject({ type: 'dir', mode: 0o700 })
    expect(tree.get('x/in')!.content).toBe('in')
    expect(tree.get('k')).toMatchObject({ type: 'dir', mode: 0o755 })
    expect(tree.has('k/kept')).toBe(true)
    expect(tree.get('s')!.type).toBe('dir')
    expect(tree.get('s/t')!.content).toBe('t')
  })

  test('implied parent directories are 0755; "./" entries and the layer root', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [
      { path: './', type: 'dir', mode: 0o750, mtime: 42 },
      { path: './a/b/c/file', type: 'file', content: 'deep' },
    ])
    const tree = readTree(fs)
    expect(tree.get('a')).toMatchObject({ type: 'dir', mode: 0o755 })
    expect(tree.get('a/b/c')).toMatchObject({ type: 'dir', mode: 0o755 })
    expect(tree.get('a/b/c/file')!.content).toBe('deep')
    expect(readTree(join(fs, '..')).get('fs')).toMatchObject({ mode: 0o750, mtime: 42 })
  })

  test('long paths, long link targets, non-ASCII names and big ids go through PAX', async () => {
    const s = store()
    const long = Array.from({ length: 12 }, (_, i) => `component-${i}-${'x'.repeat(20)}`).join('/')
    const { fs } = await unpackEntries(s, [
      { path: `${long}/file`, type: 'file', content: 'long' },
      { path: 'link', type: 'symlink', linkname: `/${long}/${'t'.repeat(150)}` },
      { path: 'ünïcødé-名前', type: 'file', content: 'utf8' },
    ])
    const tree = readTree(fs)
    expect(tree.get(`${long}/file`)!.content).toBe('long')
    expect(tree.get('link')!.linkname).toBe(`/${long}/${'t'.repeat(150)}`)
    expect(tree.get('ünïcødé-名前')!.content).toBe('utf8')
  })
})

describe.skipIf(!isRoot)(`as root (${ROOT_SKIP_REASON})`, () => {
  test('owners of files, dirs, symlinks; setuid survives the chown', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [
      { path: 'home/app', type: 'dir', uid: 1000, gid: 1000, mode: 0o2750 },
      { path: 'home/app/suid', type: 'file', uid: 1000, gid: 2000, mode: 0o6755 },
      { path: 'home/app/link', type: 'symlink', linkname: 'suid', uid: 1000, gid: 1000 },
      // past the 7 octal digits of ustar: only PAX can carry these
      { path: 'big-ids', type: 'file', uid: 3_000_000, gid: 4_000_000 },
    ])
    const tree = readTree(fs)
    expect(tree.get('home/app')).toMatchObject({ uid: 1000, gid: 1000, mode: 0o2750 })
    expect(tree.get('home/app/suid')).toMatchObject({ uid: 1000, gid: 2000, mode: 0o6755 })
    expect(tree.get('home/app/link')).toMatchObject({ uid: 1000, gid: 1000 })
    expect(tree.get('big-ids')).toMatchObject({ uid: 3_000_000, gid: 4_000_000 })
  })

  test('the multi-layer fixture: hardlink, setuid/setgid, file capability, opaque dir owner', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, entries(multiLayerImage[1]))
    const tree = readTree(fs)
    expect(tree.get('data/hardlink')!.ino).toBe(tree.get('data/original')!.ino)
    expect(tree.get('data/original')).toMatchObject({ nlink: 2, mtime: 1_500_000_000 })
    expect(tree.get('usr/bin/suid-tool')).toMatchObject({ mode: 0o4755, uid: 0 })
    expect(tree.get('usr/bin/sgid-tool')).toMatchObject({ mode: 0o2755, gid: 2000 })
    expect(fileCalls.lgetxattr(join(fs, 'usr/bin/cap-tool'), 'security.capability')).toEqual(CAP_NET_RAW)
    expect(tree.get('opaque')).toMatchObject({ uid: 1000, gid: 2000, mode: 0o750, mtime: 1_600_000_000 })
    expect(tree.get('shared')!.mode).toBe(0o1777)
    expect(tree.get('abs-link')!.linkname).toBe('/etc/passwd')
  })

  test('device nodes and fifos, with their modes and owners', async () => {
    const s = store()
    const { fs } = await unpackEntries(s, [
      { path: 'dev/null', type: 'char', major: 1, minor: 3, mode: 0o666 },
      { path: 'dev/sda', type: 'block', major: 8, minor: 0, mode: 0o660, gid: 6 },
      { path: 'dev/big', type: 'char', major: 300, minor: 70000, mode: 0o600 },
      { path: 'fifo', type: 'fifo', mode: 0o622 },
    ])
    const tree = readTree(fs)
    expect(tree.get('dev/null')).toMatchObject({ type: 'char', rdev: [1, 3], mode: 0o666 })
    expect(tree.get('dev/sda')).toMatchObject({ type: 'block', rdev: [8, 0], mode: 0o660, gid: 6 })
    expect(tree.get('dev/big')).toMatchObject({ type: 'char', rdev: [300, 70000] })
    expect(tree.get('fifo')).toMatchObject({ type: 'fifo', mode: 0o622 })
  })

  test('xattrs: security.capability byte for byte, user.* and trusted.* as given', async () => {
    const s = store()
    const binary = Buffer.from([0, 1, 2, 10, 0, 255, 61, 10])
    const { fs } = await unpackEntries(s, [
      { path: 'ping', type: 'file', mode: 0o755, xattrs: { 'security.capability': CAP_NET_RAW, 'user.binary': binary } },
      { path: 'd', type: 'dir', xattrs: { 'trusted.note': 'dir xattr', 'user.mime': 'text/x' } },
    ])
    expect(fileCalls.lgetxattr(join(fs, 'ping'), 'security.capability')).toEqual(CAP_NET_RAW)
    expect(fileCalls.lgetxattr(join(fs, 'ping'), 'user.binary')).toEqual(binary)
    expect(fileCalls.lgetxattr(join(fs, 'd'), 'trusted.note')?.toString()).toBe('dir xattr')
    expect(fileCalls.lgetxattr(join(fs, 'd'), 'user.mime')?.toString()).toBe('text/x')
  })

  test('rootless stores skip owners, device nodes and privileged xattrs, keep fifos and user xattrs', async () => {
    const s = store({ rootless: true })
    const { fs } = await unpackEntries(s, [
      { path: 'f', type: 'file', uid: 1000, gid: 1000, xattrs: { 'security.capability': CAP_NET_RAW, 'user.k': 'v' } },
      { path: 'dev/null', type: 'char', major: 1, minor: 3 },
      { path: 'dev/sda', type: 'block', major: 8, minor: 0 },
      { path: 'pipe', type: 'fifo' },
    ])
    const tree = readTree(fs)
    expect(tree.get('f')).toMatchObject({ uid: process.getuid!(), gid: process.getgid!() })
    expect(fileCalls.lgetxattr(join(fs, 'f'), 'security.capability')).toBeNull()
    expect(fileCalls.lgetxattr(join(fs, 'f'), 'user.k')?.toString()).toBe('v')
    expect(tree.has('dev/null')).toBe(false)
    expect(tree.has('dev/sda')).toBe(false)
    expect(tree.get('pipe')!.type).toBe('fifo')
  })

  test('a tree archived by GNU tar (posix format, --xattrs) comes back identical', async () => {
    const s = store()
    const src = join(env!.dir, 'src')
    mkdirSync(join(src, 'bin'), { recursive: true })
    mkdirSync(join(src, 'tmp'))
    writeFileSync(join(src, 'bin/tool'), 'tool')
    chmodSync(join(src, 'bin/tool'), 0o4755)
    execFileSync('setcap', ['cap_net_raw+ep', join(src, 'bin/tool')])
    linkSync(join(src, 'bin/tool'), join(src, 'bin/tool-link'))
    symlinkSync('/bin/tool', join(src, 'abs'))
    chmodSync(join(src, 'tmp'), 0o1777)
    writeFileSync(join(src, 'owned'), 'o')
    chownSync(join(src, 'owned'), 1000, 2000)
    mkdirSync(join(src, `${'n'.repeat(120)}/${'m'.repeat(120)}`), { recursive: true })
    writeFileSync(join(src, `${'n'.repeat(120)}/${'m'.repeat(120)}/${'f'.repeat(200)}`), 'long')
    utimesSync(join(src, 'bin'), 1_000_000, 1_000_000)
    const tar = execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', src, '-cf', '-', '.'], {
      maxBuffer: 64 << 20,
    })
    const diffId = sha256Digest(tar)
    const r = await s.unpackLayer(Readable.from([tar]), { digest: diffId, diffId, chainId: chainIds([diffId])[0]! })
    const got = readTree(s.layerFsPath(r.chainId))
    const want = readTree(src)
    const norm = (t: Map<string, ReturnType<typeof readTree> extends Map<string, infer V> ? V : never>) =>
      [...t].map(([k, v]) => [k, { ...v, ino: 0, mtime: v.type === 'dir' && k !== 'bin' ? 0 : v.mtime }])
    expect(norm(got)).toEqual(norm(want))
    expect(fileCalls.lgetxattr(join(s.layerFsPath(r.chainId), 'bin/tool'), 'security.capability')).toEqual(
      fileCalls.lgetxattr(join(src, 'bin/tool'), 'security.capability'),
    )
    expect(got.get('bin/tool-link')!.ino).toBe(got.get('bin/tool')!.ino)
  })

  test('GNU tar gnu-format long names (L/K entries) are read', async () => {
    const s = store()
    const src = join(env!.dir, 'src')
    const longDir = join(src, 'd'.repeat(150))
    mkdirSync(longDir, { recursive: true })
    writeFileSync(join(longDir, 'f'.repeat(120)), 'gnu')
    symlinkSync('t'.repeat(180), join(src, 'l'))
    const tar = execFileSync('tar', ['--format=gnu', '-C', src, '-cf', '-', '.'])
    const diffId = sha256Digest(tar)
    const r = await s.unpackLayer(Readable.from([tar]), { digest: diffId, diffId, chainId: diffId })
    const got = readTree(s.layerFsPath(r.chainId))
    expect(got.get(`${'d'.repeat(150)}/${'f'.repeat(120)}`)!.content).toBe('gnu')
    expect(got.get('l')!.linkname).toBe('t'.repeat(180))
  })
})
