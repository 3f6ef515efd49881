/**
 * The pure-ish core of build layers: the content digest COPY keys on
 * (content, never mtimes), where COPY puts things (copy-plan.ts), the
 * overlay whiteouts of a writable layer as OCI entries (overlay-diff.ts),
 * and deterministic tar bytes (layer-tar.ts).
 */
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { BuildContext, parseDockerignore } from '../src/build/build-context.js'
import { contentDigest, planCopy } from '../src/build/copy-plan.js'
import { tarStream, type LayerFile } from '../src/build/layer-tar.js'
import { MergedTree } from '../src/build/merged-tree.js'
import { overlayDiff } from '../src/build/overlay-diff.js'
import { resolveSource, segmentRegex, TreeSourceFs } from '../src/build/source-fs.js'
import { sha256Digest } from '../src/image/digest.js'
import * as fileCalls from '../src/native/file-calls.js'
import { TarReader, type TarEntry } from '../src/image/tar-reader.js'

const isRoot = process.getuid?.() === 0
let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-build-layers-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function write(path: string, content: string, mode = 0o644): void {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, content)
  chmodSync(path, mode)
}

/** An image of one layer holding /etc/passwd, /tmp (1777) and a /bin -> usr/bin link. */
function baseTree(): MergedTree {
  const layer = join(dir, 'layer')
  if (existsSync(layer)) return new MergedTree([layer])
  write(join(layer, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n')
  mkdirSync(join(layer, 'tmp'))
  chmodSync(join(layer, 'tmp'), 0o1777)
  mkdirSync(join(layer, 'usr/bin'), { recursive: true })
  symlinkSync('usr/bin', join(layer, 'bin'))
  return new MergedTree([layer])
}

function copy(context: BuildContext, sources: string[], dest: string, tree = baseTree(), workdir = '/') {
  return planCopy(
    sources.map((path) => ({ fs: context, path })),
    [],
    { dest, workdir, tree, now: 0 },
  )
}

describe('COPY: where things land', () => {
  test('a file into a directory, through the image\'s own symlink; parents keep the image\'s metadata', () => {
    write(join(dir, 'ctx/tool'), '#!/bin/sh\n', 0o755)
    const entries = copy(new BuildContext(join(dir, 'ctx'), []), ['tool'], '/bin/')
    expect(entries.map((e) => [e.path, e.type, e.mode.toString(8)])).toEqual([
      ['usr', 'dir', '755'],
      ['usr/bin', 'dir', '755'],
      ['usr/bin/tool', 'file', '755'],
    ])
    const tmp = copy(new BuildContext(join(dir, 'ctx'), []), ['tool'], '/tmp/x/tool')
    expect(tmp.map((e) => [e.path, e.type, e.mode.toString(8)])).toEqual([
      ['tmp', 'dir', '1777'],
      ['tmp/x', 'dir', '755'],
      ['tmp/x/tool', 'file', '755'],
    ])
  })

  test('a directory\'s contents, relative to WORKDIR; owners are root\'s; .dockerignore applies', () => {
    write(join(dir, 'ctx/src/a.js'), 'a')
    write(join(dir, 'ctx/src/debug.log'), 'log')
    write(join(dir, 'ctx/src/keep.log'), 'keep')
    write(join(dir, 'ctx/node_modules/x/index.js'), 'x')
    if (isRoot) chownSync(join(dir, 'ctx/src/a.js'), 1000, 1000) // a developer's file
    const context = new BuildContext(join(dir, 'ctx'), parseDockerignore('# deps\nnode_modules\n**/*.log\n!src/keep.log\n'))
    const entries = copy(context, ['.'], '.', baseTree(), '/app')
    expect(entries.map((e) => e.path)).toEqual(['app', 'app/src', 'app/src/a.js', 'app/src/keep.log'])
    expect(entries.every((e) => e.uid === 0 && e.gid === 0)).toBe(true)
    expect(() => copy(context, ['node_modules'], '/x/')).toThrow(/not found in the build context \(or excluded by \.dockerignore\)/)
    // as in BuildKit, ".." stops at the context's root: never the host's /etc/passwd
    expect(() => copy(context, ['../etc/passwd'], '/x/')).toThrow(/^\.\.\/etc\/passwd: not found in the build context/)
  })

  test('patterns; several sources need a directory destination', () => {
    write(join(dir, 'ctx/a.txt'), 'a')
    write(join(dir, 'ctx/b.txt'), 'b')
    write(join(dir, 'ctx/c.md'), 'c')
    const context = new BuildContext(join(dir, 'ctx'), [])
    expect(resolveSource(context, '*.txt').map((i) => i.rel)).toEqual(['a.txt', 'b.txt'])
    expect(copy(context, ['*.txt'], '/out/').map((e) => e.path)).toEqual(['out', 'out/a.txt', 'out/b.txt'])
    expect(() => copy(context, ['*.txt'], '/out')).toThrow(/must be a directory ending in "\/"/)
    expect(segmentRegex('[!a]?.t*').test('b1.txt')).toBe(true)
  })

  test('a symlink a pattern matches is followed, as a named one is (fsutil Copy\'s RootPath); one on the way is not entered', () => {
    write(join(dir, 'ctx/target.txt'), 'T')
    write(join(dir, 'ctx/dir/f'), 'f')
    symlinkSync('target.txt', join(dir, 'ctx/link'))
    symlinkSync('dir', join(dir, 'ctx/linkdir'))
    symlinkSync('nowhere', join(dir, 'ctx/lost'))
    symlinkSync('../target.txt', join(dir, 'ctx/dir/inner'))
    const context = new BuildContext(join(dir, 'ctx'), [])
    const landed = (sources: string[]) => copy(context, sources, '/g/').map((e) => [e.path, e.type])
    const named = landed(['link', 'linkdir'])
    expect(named).toEqual([['g', 'dir'], ['g/f', 'file'], ['g/inner', 'symlink'], ['g/link', 'file']])
    // the same through a pattern; the dangling link matches nothing
    expect(landed(['l*'])).toEqual(named)
    expect(copy(context, ['l*'], '/g/').find((e) => e.path === 'g/link')).toMatchObject({ size: 1 })
    // a link inside a copied directory stays a link, and a pattern does not go through one
    expect(landed(['d*'])).toEqual([['g', 'dir'], ['g/f', 'file'], ['g/inner', 'symlink']])
    expect(resolveSource(context, 'l*/f')).toEqual([])
  })

  test('hard links inside a copied directory stay links (BuildKit\'s copier), not across sources; a link whose first name a later source replaces is a file again', () => {
    write(join(dir, 'ctx/d/x'), 'shared')
    mkdirSync(join(dir, 'ctx/d/sub'))
    linkSync(join(dir, 'ctx/d/x'), join(dir, 'ctx/d/y'))
    linkSync(join(dir, 'ctx/d/x'), join(dir, 'ctx/d/sub/z'))
    write(join(dir, 'ctx/e/sub/z'), 'other')
    const context = new BuildContext(join(dir, 'ctx'), [])
    const shape = (sources: string[]) => copy(context, sources, '/m/').map((e) => [e.path, e.type, e.linkname ?? ''])
    // the walk's first name holds the bytes, the others link to it
    expect(shape(['d'])).toEqual([['m', 'dir', ''], ['m/sub', 'dir', ''], ['m/sub/z', 'file', ''], ['m/x', 'hardlink', 'm/sub/z'], ['m/y', 'hardlink', 'm/sub/z']])
    // e's sub/z replaces that name: x and y keep d's bytes, still one file, x first
    expect(shape(['d', 'e'])).toEqual([['m', 'dir', ''], ['m/sub', 'dir', ''], ['m/sub/z', 'file', ''], ['m/x', 'file', ''], ['m/y', 'hardlink', 'm/x']])
    // two sources are two copies, as BuildKit's one Copy per source
    expect(shape(['d/x', 'd/y'])).toEqual([['m', 'dir', ''], ['m/x', 'file', ''], ['m/y', 'file', '']])
  })

  test('a pattern matching nothing copies nothing (BuildKit\'s AllowEmptyWildcard), unless the directory before it is missing; a missing path fails', () => {
    write(join(dir, 'ctx/package.json'), '{}')
    const context = new BuildContext(join(dir, 'ctx'), [])
    expect(copy(context, ['package.json', 'yarn.loc[k]'], './', baseTree(), '/app').map((e) => e.path)).toEqual(['app', 'app/package.json'])
    expect(resolveSource(context, 'requirements.*')).toEqual([])
    expect(() => resolveSource(context, 'folder/b/*')).toThrow(/^folder\/b\/\*: not found in the build context/)
    expect(() => copy(context, ['package.json', 'yarn.lock'], './')).toThrow(/^yarn\.lock: not found in the build context/)
  })

  test('COPY --from reads another image\'s layers, whiteouts and all, and keeps its owners', () => {
    const lower = join(dir, 'lower')
    const upper = join(dir, 'upper')
    write(join(lower, 'out/bin'), 'binary', 0o755)
    write(join(lower, 'out/gone'), 'deleted above')
    mkdirSync(join(upper, 'out'), { recursive: true })
    write(join(upper, 'out/extra'), 'added above')
    if (isRoot) fileCalls.mknod(join(upper, 'out/gone'), 0o020000, 0, 0)
    if (isRoot) chownSync(join(lower, 'out/bin'), 1234, 1235)
    const source = new TreeSourceFs(new MergedTree([upper, lower]), 'stage build')
    const entries = planCopy([{ fs: source, path: '/out', keepOwners: true }], [], { dest: '/app/', workdir: '/', tree: baseTree(), now: 0 })
    expect(entries.map((e) => e.path)).toEqual(isRoot ? ['app', 'app/bin', 'app/extra'] : ['app', 'app/bin', 'app/extra', 'app/gone'])
    if (isRoot) expect(entries.find((e) => e.path === 'app/bin')).toMatchObject({ uid: 1234, gid: 1235, mode: 0o755 })
  })
})

describe('the cache key of a COPY is its content', () => {
  test('touching a file keeps the key; changing a byte, a mode or a name changes it', () => {
    write(join(dir, 'ctx/requirements.txt'), 'flask==3.0\n')
    const context = new BuildContext(join(dir, 'ctx'), [])
    const key = () => contentDigest(copy(context, ['requirements.txt'], '/app/'))
    const first = key()
    utimesSync(join(dir, 'ctx/requirements.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1))
    expect(key()).toBe(first)
    write(join(dir, 'ctx/requirements.txt'), 'flask==3.1\n')
    const changed = key()
    expect(changed).not.toBe(first)
    chmodSync(join(dir, 'ctx/requirements.txt'), 0o600)
    expect(key()).not.toBe(changed)
    expect(contentDigest(copy(context, ['requirements.txt'], '/other/'))).not.toBe(key())
  })
})

describe('a writable layer as OCI entries', () => {
  test.skipIf(!isRoot)('whiteouts (0:0 devices) and opaque directories become .wh. entries', async () => {
    // mknod and trusted.* xattrs need root (CI runs as root)
    const upper = join(dir, 'upper')
    mkdirSync(join(upper, 'etc/conf.d'), { recursive: true })
    write(join(upper, 'etc/new.conf'), 'x')
    fileCalls.mknod(join(upper, 'etc/old.conf'), 0o020000, 0, 0)
    fileCalls.lsetxattr(join(upper, 'etc/conf.d'), 'trusted.overlay.opaque', Buffer.from('y'))
    write(join(upper, 'etc/conf.d/only.conf'), 'y')
    const files = [...overlayDiff(upper)]
    expect(files.map((f) => [f.path, f.type])).toEqual([
      ['etc', 'dir'],
      ['etc/conf.d', 'dir'],
      ['etc/conf.d', 'opaque'],
      ['etc/conf.d/only.conf', 'file'],
      ['etc/new.conf', 'file'],
      ['etc/old.conf', 'whiteout'],
    ])
    const names = (await readTar(files)).map((e) => `${e.type} ${e.path}`)
    expect(names).toEqual(['dir etc/', 'dir etc/conf.d/', 'file etc/conf.d/.wh..wh..opq', 'file etc/conf.d/only.conf', 'file etc/new.conf', 'file etc/.wh.old.conf'])
  })
})

describe('deterministic tars', () => {
  const files = (): LayerFile[] => [
    { path: 'app', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_000 },
    { path: 'app/main.js', type: 'file', mode: 0o644, uid: 1000, gid: 1000, mtime: 1_800_000_000, content: Buffer.from('console.log(1)\n') },
    { path: 'app/link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1_700_000_000, linkname: 'main.js' },
  ]
  test('the same files give the same bytes; SOURCE_DATE_EPOCH clamps later mtimes', async () => {
    const a = await bytes(files())
    const b = await bytes(files())
    expect(sha256Digest(a)).toBe(sha256Digest(b))
    const clamped = await readTar(files(), 1_750_000_000)
    expect(clamped.map((e) => e.mtime)).toEqual([1_700_000_000, 1_750_000_000, 1_700_000_000])
    // numeric owners only: the ustar user and group name fields are empty
    expect(a.toString('latin1', 512 * 1 + 265, 512 * 1 + 265 + 32).replace(/\0/g, '')).toBe('')
    expect(clamped.map((e) => [e.uid, e.gid])).toEqual([[0, 0], [1000, 1000], [0, 0]])
  })
})

async function bytes(files: LayerFile[], sourceDateEpoch?: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of tarStream(files, sourceDateEpoch !== undefined ? { sourceDateEpoch } : {})) chunks.push(c)
  return Buffer.concat(chunks)
}

async function readTar(files: LayerFile[], sourceDateEpoch?: number): Promise<TarEntry[]> {
  const entries: TarEntry[] = []
  const reader = new TarReader({ entry: (e) => void entries.push(e), data: () => {}, entryEnd: () => {} })
  reader.write(await bytes(files, sourceDateEpoch))
  reader.end()
  return entries
}
