/**
 * writeOciLayout (src/image/oci-layout.ts), checked by independent tools
 * where present (umoci verifies every digest and diff id as it unpacks).
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, test } from 'vitest'
import { sha256Digest } from '../src/image/digest.js'
import { writeOciLayout } from '../src/image/oci-layout.js'
import type { ImageIndex, ImageManifest } from '../src/image/oci.js'
import { isRoot, readTree, ROOT_SKIP_REASON, tempStore, type TempStore } from './helpers/image-store.js'

let env: TempStore | undefined
afterEach(() => {
  env?.cleanup()
  env = undefined
})

const hasUmoci = (() => {
  try {
    execFileSync('umoci', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

test('blobs match their digests, diff ids match the uncompressed layers, index names the image', async () => {
  env = tempStore()
  const dir = join(env.dir, 'layout')
  const w = await writeOciLayout(dir, {
    name: 'localhost/t/img:v1',
    config: { config: { User: '1000:1000', Env: ['A=b'], WorkingDir: '/w', Entrypoint: ['/run.sh'] } },
    layers: [[{ path: 'run.sh', type: 'file', mode: 0o755, content: '#!/proc/self/exe\n' }], [{ path: 'proc', type: 'symlink', linkname: '/host' }]],
  })
  const blob = (d: string) => readFileSync(join(dir, 'blobs/sha256', d.slice(7)))
  expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' })
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex
  expect(index.manifests).toHaveLength(1)
  expect(index.manifests[0]).toMatchObject({
    digest: w.manifestDigest,
    annotations: { 'org.opencontainers.image.ref.name': 'v1', 'io.containerd.image.name': 'localhost/t/img:v1' },
  })
  const manifest = JSON.parse(blob(w.manifestDigest).toString()) as ImageManifest
  expect(sha256Digest(blob(w.manifestDigest))).toBe(w.manifestDigest)
  expect(index.manifests[0]!.size).toBe(blob(w.manifestDigest).length)
  expect(sha256Digest(blob(manifest.config.digest))).toBe(manifest.config.digest)
  const config = JSON.parse(blob(w.configDigest).toString())
  expect(config.config).toEqual({ User: '1000:1000', Env: ['A=b'], WorkingDir: '/w', Entrypoint: ['/run.sh'] })
  for (const [i, layer] of manifest.layers.entries()) {
    expect(sha256Digest(blob(layer.digest))).toBe(layer.digest)
    expect(blob(layer.digest).length).toBe(layer.size)
    expect(sha256Digest(gunzipSync(blob(layer.digest)))).toBe(config.rootfs.diff_ids[i])
  }

  // a second image in the same layout keeps the first
  await writeOciLayout(dir, { name: 'localhost/t/other:v2', layers: [[{ path: 'x', type: 'file' }]] })
  const index2 = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex
  expect(index2.manifests.map((m) => m.annotations?.['io.containerd.image.name'])).toEqual(['localhost/t/img:v1', 'localhost/t/other:v2'])
})

test('the tar is readable by GNU tar, with PAX xattrs and whiteout names', async () => {
  env = tempStore()
  const dir = join(env.dir, 'layout')
  const w = await writeOciLayout(dir, {
    compression: 'none',
    layers: [[
      { path: 'gone', type: 'whiteout' },
      { path: 'd', type: 'opaque' },
      { path: `${'long/'.repeat(40)}f`, type: 'file', content: 'x' },
      { path: 'cap', type: 'file', xattrs: { 'user.note': 'v' } },
    ]],
  })
  const list = execFileSync('tar', ['--xattrs', '-tvf', join(dir, 'blobs/sha256', w.layers[0]!.digest.slice(7))], { encoding: 'utf8' })
  expect(list).toContain('.wh.gone')
  expect(list).toContain('d/.wh..wh..opq')
  expect(list).toContain(`${'long/'.repeat(40)}f`)
})

describe.skipIf(!isRoot)(`as root (${ROOT_SKIP_REASON})`, () => {
  test.skipIf(!hasUmoci)('umoci unpacks a layout with devices, whiteouts and a directory layer', async () => {
    env = tempStore()
    const src = join(env.dir, 'src')
    mkdirSync(join(src, 'bin'), { recursive: true })
    writeFileSync(join(src, 'bin/tool'), 'tool')
    chmodSync(join(src, 'bin/tool'), 0o4755)
    linkSync(join(src, 'bin/tool'), join(src, 'bin/alias'))
    symlinkSync('/bin/tool', join(src, 'link'))
    const dir = join(env.dir, 'layout')
    await writeOciLayout(dir, {
      tag: 'test',
      layers: [
        { dir: src },
        [
          { path: 'dev/one', type: 'char', major: 1, minor: 1, mode: 0o600 },
          { path: 'link', type: 'whiteout' },
        ],
      ],
    })
    const bundle = join(env.dir, 'bundle')
    execFileSync('umoci', ['unpack', '--image', `${dir}:test`, bundle], { stdio: 'ignore' })
    const tree = readTree(join(bundle, 'rootfs'))
    expect(tree.get('bin/tool')).toMatchObject({ type: 'file', mode: 0o4755, content: 'tool' })
    expect(tree.get('bin/alias')!.ino).toBe(tree.get('bin/tool')!.ino)
    expect(tree.get('dev/one')).toMatchObject({ type: 'char', rdev: [1, 1], mode: 0o600 })
    expect(tree.has('link')).toBe(false)
  })
})
