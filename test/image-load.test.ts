/**
 * `loadArchive`: docker save tars (both layouts), OCI layouts as a
 * directory, a tar or a gzip tar, platform selection, and bad archives.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, test } from 'vitest'
import { sha256Digest } from '../src/image/digest.js'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { MediaType } from '../src/image/oci.js'
import { buildLayer, readTree, tempStore, tmpEntries, type TempStore } from './helpers/image-store.js'
import { loadArchive } from '../src/image/load-archive.js'

let env: TempStore | undefined
afterEach(() => {
  env?.cleanup()
  env = undefined
})
function setup(): TempStore {
  env = tempStore()
  return env
}

const hasSkopeo = (() => {
  try {
    execFileSync('skopeo', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

const layers = {
  base: [
    { path: 'bin', type: 'dir' as const },
    { path: 'bin/sh', type: 'file' as const, mode: 0o755, content: '#!/bin/sh\n' },
  ],
  top: [{ path: 'etc/motd', type: 'file' as const, content: 'hello\n' }, { path: 'bin/sh', type: 'whiteout' as const }],
}

async function expectImage(e: TempStore, ref: string): Promise<void> {
  const img = await e.store.resolve(ref)
  expect(img.layerDirs).toHaveLength(2)
  expect(readFileSync(join(img.layerDirs[1]!, 'etc/motd'), 'utf8')).toBe('hello\n')
  expect(readTree(img.layerDirs[1]!).get('bin/sh')).toMatchObject({ type: 'char', rdev: [0, 0] })
  expect(img.config.config?.Cmd).toEqual(['sh'])
  expect(tmpEntries(e.store)).toEqual([])
}

function tarDir(dir: string, file: string): void {
  execFileSync('tar', ['-C', dir, '-cf', file, '.'])
}

describe('OCI image layouts', () => {
  test('a directory, named by io.containerd.image.name', async () => {
    const e = setup()
    const dir = join(e.dir, 'layout')
    const w = await writeOciLayout(dir, { name: 'localhost/test/img:1.0', config: { config: { Cmd: ['sh'] } }, layers: [layers.base, layers.top] })
    const loaded = await loadArchive(e.store, dir)
    expect(loaded).toEqual([{ name: 'localhost/test/img:1.0', manifestDigest: w.manifestDigest, configDigest: w.configDigest }])
    await expectImage(e, 'localhost/test/img:1.0')
  })

  test('a tar, and a gzip tar; the name option overrides', async () => {
    const e = setup()
    const dir = join(e.dir, 'layout')
    await writeOciLayout(dir, { tag: 'v2', config: { config: { Cmd: ['sh'] } }, layers: [layers.base, layers.top] })
    tarDir(dir, join(e.dir, 'layout.tar'))
    writeFileSync(join(e.dir, 'layout.tar.gz'), gzipSync(readFileSync(join(e.dir, 'layout.tar'))))
    // a bare tag names no repository: loaded untagged, by id
    const [untagged] = await loadArchive(e.store, join(e.dir, 'layout.tar'))
    expect(untagged!.name).toBeUndefined()
    await expectImage(e, untagged!.configDigest)
    const [named] = await loadArchive(e.store, join(e.dir, 'layout.tar.gz'), { name: 'localhost/from-gz:v2' })
    expect(named!.name).toBe('localhost/from-gz:v2')
    await expectImage(e, 'localhost/from-gz:v2')
  })

  test('a multi-platform index: the host platform by default, another on request', async () => {
    const e = setup()
    const dir = join(e.dir, 'layout')
    const amd = await writeOciLayout(join(e.dir, 'amd'), { config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['amd'] } }, layers: [layers.base] })
    const arm = await writeOciLayout(join(e.dir, 'arm'), {
      config: { architecture: 'arm64', variant: 'v8', os: 'linux', config: { Cmd: ['arm'] } },
      layers: [layers.base],
    })
    mkdirSync(join(dir, 'blobs/sha256'), { recursive: true })
    for (const src of ['amd', 'arm']) execFileSync('sh', ['-c', `cp ${e.dir}/${src}/blobs/sha256/* ${dir}/blobs/sha256/`])
    const manifestSize = (d: string, m: string) => readFileSync(join(e.dir, d, 'blobs/sha256', m.slice(7))).length
    const nested = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OCI_INDEX,
        manifests: [
          { mediaType: MediaType.OCI_MANIFEST, digest: amd.manifestDigest, size: manifestSize('amd', amd.manifestDigest), platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: MediaType.OCI_MANIFEST, digest: arm.manifestDigest, size: manifestSize('arm', arm.manifestDigest), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { mediaType: MediaType.OCI_MANIFEST, digest: sha256Digest('attestation'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
        ],
      }),
    )
    writeFileSync(join(dir, 'blobs/sha256', sha256Digest(nested).slice(7)), nested)
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: MediaType.OCI_INDEX, digest: sha256Digest(nested), size: nested.length, annotations: { 'io.containerd.image.name': 'localhost/multi:latest' } }],
      }),
    )
    const [host] = await loadArchive(e.store, dir)
    const expected = process.arch === 'arm64' ? arm : amd
    expect(host!.manifestDigest).toBe(expected.manifestDigest)
    const [other] = await loadArchive(e.store, dir, { platform: { os: 'linux', architecture: 'arm64' }, name: 'localhost/multi:arm' })
    expect(other!.manifestDigest).toBe(arm.manifestDigest)
    expect((await e.store.resolve('localhost/multi:arm')).config.config?.Cmd).toEqual(['arm'])
    await expect(loadArchive(e.store, dir, { platform: { os: 'linux', architecture: 's390x' } })).rejects.toThrow(/no image for platform linux\/s390x/)
  })

  test('a tampered layer fails naming its digest and loads nothing', async () => {
    const e = setup()
    const dir = join(e.dir, 'layout')
    const w = await writeOciLayout(dir, { name: 'localhost/bad', layers: [layers.base] })
    const blob = join(dir, 'blobs/sha256', w.layers[0]!.digest.slice(7))
    writeFileSync(blob, gzipSync(Buffer.alloc(1024)))
    await expect(loadArchive(e.store, dir)).rejects.toThrow(w.layers[0]!.digest)
    expect(await e.store.list()).toEqual([])
    expect(tmpEntries(e.store)).toEqual([])
  })

  test.skipIf(!hasSkopeo)('an oci-archive written by skopeo', async () => {
    const e = setup()
    const dir = join(e.dir, 'layout')
    await writeOciLayout(dir, { name: 'localhost/test/img:1.0', config: { config: { Cmd: ['sh'] } }, layers: [layers.base, layers.top] })
    execFileSync('skopeo', ['copy', '-q', `oci:${dir}:1.0`, `oci-archive:${e.dir}/skopeo.tar:localhost/sk:7`])
    const [img] = await loadArchive(e.store, join(e.dir, 'skopeo.tar'))
    expect(img!.name).toBe('localhost/sk:7')
    await expectImage(e, 'localhost/sk:7')
  })
})

describe('docker save archives', () => {
  async function dockerSaveParts() {
    const base = await buildLayer(layers.base, false)
    const top = await buildLayer(layers.top, false)
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [base.diffId, top.diffId] } }),
    )
    return { base, top, config, configHex: sha256Digest(config).slice(7) }
  }

  test('the old layout: <id>/layer.tar, <config>.json, repositories, a symlinked duplicate', async () => {
    const e = setup()
    const { base, top, config, configHex } = await dockerSaveParts()
    const dir = join(e.dir, 'save')
    for (const [id, layer] of [['aaa', base], ['bbb', top]] as const) {
      mkdirSync(join(dir, id), { recursive: true })
      writeFileSync(join(dir, id, 'layer.tar'), layer.tar)
      writeFileSync(join(dir, id, 'VERSION'), '1.0')
      writeFileSync(join(dir, id, 'json'), '{}')
    }
    // docker shares identical layers between images with a symlink
    mkdirSync(join(dir, 'ccc'))
    symlinkSync('../aaa/layer.tar', join(dir, 'ccc', 'layer.tar'))
    writeFileSync(join(dir, `${configHex}.json`), config)
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify([{ Config: `${configHex}.json`, RepoTags: ['busybox:1', 'localhost:5000/bb:2'], Layers: ['ccc/layer.tar', 'bbb/layer.tar'] }]),
    )
    writeFileSync(join(dir, 'repositories'), JSON.stringify({ busybox: { '1': 'bbb' } }))
    tarDir(dir, join(e.dir, 'save.tar'))
    const loaded = await loadArchive(e.store, join(e.dir, 'save.tar'))
    expect(loaded.map((l) => l.name)).toEqual(['docker.io/library/busybox:1', 'localhost:5000/bb:2'])
    expect(loaded[0]!.configDigest).toBe(`sha256:${configHex}`)
    await expectImage(e, 'busybox:1')
    await expectImage(e, `sha256:${configHex}`)
  })

  test('the Docker 25+ layout (blobs/sha256 inside) and an untagged image', async () => {
    const e = setup()
    const { base, top, config, configHex } = await dockerSaveParts()
    const dir = join(e.dir, 'save')
    mkdirSync(join(dir, 'blobs/sha256'), { recursive: true })
    writeFileSync(join(dir, 'blobs/sha256', base.digest.slice(7)), base.tar)
    writeFileSync(join(dir, 'blobs/sha256', top.digest.slice(7)), top.tar)
    writeFileSync(join(dir, 'blobs/sha256', configHex), config)
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
    writeFileSync(join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}')
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify([{ Config: `blobs/sha256/${configHex}`, RepoTags: null, Layers: [`blobs/sha256/${base.digest.slice(7)}`, `blobs/sha256/${top.digest.slice(7)}`] }]),
    )
    tarDir(dir, join(e.dir, 'save.tar'))
    const loaded = await loadArchive(e.store, join(e.dir, 'save.tar'))
    expect(loaded).toEqual([{ manifestDigest: loaded[0]!.manifestDigest, configDigest: `sha256:${configHex}` }])
    await expectImage(e, configHex.slice(0, 12))
    const [summary] = await e.store.list()
    expect(summary!.name).toBe(`sha256:${configHex}`)
    expect(summary!.repository).toBeUndefined()
  })

  test('a layer whose content does not match the config diff id', async () => {
    const e = setup()
    const { base, top } = await dockerSaveParts()
    const dir = join(e.dir, 'save')
    mkdirSync(join(dir, 'l1'), { recursive: true })
    mkdirSync(join(dir, 'l2'))
    writeFileSync(join(dir, 'l1/layer.tar'), top.tar) // swapped
    writeFileSync(join(dir, 'l2/layer.tar'), base.tar)
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [base.diffId, top.diffId] } }))
    writeFileSync(join(dir, 'c.json'), config)
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l1/layer.tar', 'l2/layer.tar'] }]))
    tarDir(dir, join(e.dir, 'save.tar'))
    await expect(loadArchive(e.store, join(e.dir, 'save.tar'))).rejects.toThrow(base.diffId)
    expect(await e.store.list()).toEqual([])
  })

  test.skipIf(!hasSkopeo)('a docker-archive written by skopeo', async () => {
    const e = setup()
    const dir = join(e.dir, 'layout')
    await writeOciLayout(dir, { config: { config: { Cmd: ['sh'] } }, layers: [layers.base, layers.top] })
    execFileSync('skopeo', ['copy', '-q', `oci:${dir}:latest`, `docker-archive:${e.dir}/docker.tar:localhost/from-skopeo:3`])
    const [img] = await loadArchive(e.store, join(e.dir, 'docker.tar'))
    expect(img!.name).toBe('localhost/from-skopeo:3')
    await expectImage(e, 'localhost/from-skopeo:3')
  })
})

describe('bad archives', () => {
  test('not an archive', async () => {
    const e = setup()
    writeFileSync(join(e.dir, 'junk'), 'this is not a tar file at all'.repeat(40))
    await expect(loadArchive(e.store, join(e.dir, 'junk'))).rejects.toThrow(`${join(e.dir, 'junk')}: not a tar archive (docker save's output) nor an OCI image layout`)
  })

  test('random bytes: said what they are not, none of them echoed (issue 15)', async () => {
    const e = setup()
    const junk = Buffer.alloc(3000)
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 151 + 7) % 256
    writeFileSync(join(e.dir, 'random.tar'), junk)
    const err = await loadArchive(e.store, join(e.dir, 'random.tar')).catch((x: Error) => x)
    expect((err as Error).message).toBe(`${join(e.dir, 'random.tar')}: not a tar archive (docker save's output) nor an OCI image layout`)
  })

  test('a tar with neither manifest.json nor index.json', async () => {
    const e = setup()
    mkdirSync(join(e.dir, 'd'))
    writeFileSync(join(e.dir, 'd/hello'), 'x')
    tarDir(join(e.dir, 'd'), join(e.dir, 'd.tar'))
    await expect(loadArchive(e.store, join(e.dir, 'd.tar'))).rejects.toThrow(/neither a docker save archive/)
  })

  test('a missing file', async () => {
    const e = setup()
    await expect(loadArchive(e.store, join(e.dir, 'absent.tar'))).rejects.toThrow(/absent\.tar/)
  })

  test('a layout blob that does not match its digest', async () => {
    const e = setup()
    const dir = join(e.dir, 'layout')
    const w = await writeOciLayout(dir, { name: 'localhost/x', layers: [layers.base] })
    writeFileSync(join(dir, 'blobs/sha256', w.configDigest.slice(7)), '{"tampered":true}')
    const err = await loadArchive(e.store, dir).catch((x: unknown) => x as Error & { code: string })
    expect((err as { code: string }).code).toBe('EDIGEST')
    expect((err as Error).message).toContain(w.configDigest)
  })

  test('the busybox fixture loads when built', async () => {
    const fixture = new URL('../rootfs-fixtures/out/busybox-oci', import.meta.url).pathname
    if (!existsSync(fixture)) throw new Error('rootfs-fixtures/out/busybox-oci is missing: run node rootfs-fixtures/build.js')
    const e = setup()
    const [img] = await loadArchive(e.store, fixture)
    expect(img!.name).toBe('localhost/mini-run/busybox:latest')
    const r = await e.store.resolve('localhost/mini-run/busybox')
    expect(r.config.config?.Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'])
    const tree = readTree(r.layerDirs[0]!)
    expect(tree.get('bin/sh')).toMatchObject({ type: 'symlink', linkname: '/bin/busybox' })
    expect(tree.get('tmp')!.mode).toBe(0o1777)
    expect(tree.get('home/app')).toMatchObject({ uid: e.store.rootless ? process.getuid!() : 1000 })
    expect(tree.get('etc/group')!.content).toContain('extra:x:2000:app')
  })
})
