/**
 * save, load, tag, rmi, history and image inspect as a user runs them: a
 * saved tar loads back into an empty store with the same ids and names,
 * umoci unpacks its OCI layout and skopeo reads it as a docker archive.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sha256Digest } from '../src/image/digest.js'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { cliEnv, miniRun } from './helpers/cli.js'
import { BUSYBOX_OCI, FIXTURES } from './helpers/test-env.js'
import { loadArchive } from '../src/image/load-archive.js'

const TWO_LAYERS_OCI = join(FIXTURES, 'test-images-oci')
const isRoot = process.getuid?.() === 0
let dir: string
let store: ImageStore
let busybox: { configDigest: string; manifestDigest: string }
let layers: { configDigest: string; manifestDigest: string }
const cli = (root: string, ...args: string[]) => miniRun(['--root', root, '--state', join(dir, 'state'), ...args])

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-save-'))
  store = new ImageStore({ root: join(dir, 'store') })
  busybox = (await loadArchive(store, BUSYBOX_OCI, { name: 'localhost/mini/busybox:latest' }))[0]!
  layers = (await loadArchive(store, TWO_LAYERS_OCI, { name: 'localhost/mini/layers:1' }))[0]!
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function tarList(file: string): string[] {
  return execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n')
}

describe('save', () => {
  test('save then load into an empty store: the same ids, names and manifests', () => {
    const file = join(dir, 'both.tar')
    const save = cli(store.root, 'save', '-o', file, 'localhost/mini/busybox:latest', 'localhost/mini/layers:1')
    expect(save.stderr).toBe('')
    expect(save.status).toBe(0)
    const members = tarList(file)
    for (const m of ['index.json', 'manifest.json', 'oci-layout', 'repositories', `blobs/sha256/${busybox.configDigest.slice(7)}`]) {
      expect(members).toContain(m)
    }
    expect(members).toEqual([...members].sort())

    const empty = join(dir, 'loaded')
    const load = cli(empty, 'load', '-i', file)
    expect(load.stderr).toBe('')
    expect(load.stdout).toBe('Loaded image: localhost/mini/busybox:latest\nLoaded image: localhost/mini/layers:1\n')
    const ids = cli(empty, 'images', '-q', '--no-trunc').stdout.trim().split('\n').sort()
    expect(ids).toEqual([busybox.configDigest, layers.configDigest].sort())
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as Array<{ RepoTags: string[]; Layers: string[] }>
    expect(manifest.map((m) => m.RepoTags)).toEqual([['localhost/mini/busybox:latest'], ['localhost/mini/layers:1']])
    const index = JSON.parse(execFileSync('tar', ['-xOf', file, 'index.json'], { encoding: 'utf8' })) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> }
    expect(index.manifests.map((m) => m.digest)).toEqual([busybox.manifestDigest, layers.manifestDigest])
    expect(index.manifests[1]!.annotations).toEqual({ 'io.containerd.image.name': 'localhost/mini/layers:1', 'org.opencontainers.image.ref.name': '1' })
    const repositories = JSON.parse(execFileSync('tar', ['-xOf', file, 'repositories'], { encoding: 'utf8' })) as Record<string, Record<string, string>>
    expect(Object.keys(repositories).sort()).toEqual(['localhost/mini/busybox', 'localhost/mini/layers'])
  })

  test('the same images saved twice give the same bytes; to stdout as to -o', () => {
    const a = join(dir, 'a.tar')
    const b = join(dir, 'b.tar')
    expect(cli(store.root, 'save', '-o', a, 'localhost/mini/layers:1').status).toBe(0)
    expect(cli(store.root, 'save', '-o', b, 'localhost/mini/layers:1').status).toBe(0)
    expect(sha256Digest(readFileSync(a))).toBe(sha256Digest(readFileSync(b)))
    const piped = spawnSync('mini-run', ['--root', store.root, 'save', 'localhost/mini/layers:1'], { env: cliEnv(), maxBuffer: 64 << 20 })
    expect(piped.status).toBe(0)
    expect(sha256Digest(piped.stdout)).toBe(sha256Digest(readFileSync(a)))
  })

  test('saved by id: no name in the archive, loaded as an id', () => {
    const file = join(dir, 'by-id.tar')
    expect(cli(store.root, 'save', '-o', file, layers.configDigest.slice(7, 19)).status).toBe(0)
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as Array<{ RepoTags: unknown }>
    expect(manifest[0]!.RepoTags).toBeNull()
    const load = cli(join(dir, 'by-id'), 'load', '-i', file)
    expect(load.stdout).toBe(`Loaded image ID: ${layers.configDigest}\n`)
  })

  test('umoci unpacks the OCI layout inside; skopeo reads it as a docker archive', () => {
    const file = join(dir, 'busybox.tar')
    expect(cli(store.root, 'save', '-o', file, 'localhost/mini/busybox:latest').status).toBe(0)
    const layout = join(dir, 'layout')
    mkdirSync(layout)
    execFileSync('tar', ['-C', layout, '-xf', file])
    const bundle = join(dir, 'bundle')
    execFileSync('umoci', ['unpack', ...(isRoot ? [] : ['--rootless']), '--image', `${layout}:latest`, bundle], { stdio: 'pipe' })
    expect(existsSync(join(bundle, 'rootfs', 'bin', 'busybox'))).toBe(true)
    expect(readFileSync(join(bundle, 'rootfs', 'etc', 'hostname'), 'utf8')).toBe('mini-run\n')

    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `docker-archive:${file}`], { encoding: 'utf8' })) as {
      rootfs: { diff_ids: string[] }
    }
    const config = JSON.parse(readFileSync(store.blobPath(busybox.configDigest), 'utf8')) as { rootfs: { diff_ids: string[] } }
    expect(inspected.rootfs.diff_ids).toEqual(config.rootfs.diff_ids)
    const oci = join(dir, 'skopeo-oci')
    execFileSync('skopeo', ['copy', '--quiet', `docker-archive:${file}`, `oci:${oci}:copied`])
    expect(readFileSync(join(oci, 'index.json'), 'utf8')).toContain('copied')
  })

  test('an image that is not there fails the save, naming it, and leaves no file', () => {
    const file = join(dir, 'none.tar')
    const r = cli(store.root, 'save', '-o', file, 'localhost/mini/busybox:latest', 'localhost/nope:1')
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('mini-run: no such image: localhost/nope:1\n')
    expect(existsSync(file)).toBe(false)
  })
})

describe('tag, rmi, history, image inspect', () => {
  test('tag gives a second name to the same manifest; rmi of one keeps the other', () => {
    const root = join(dir, 'tagging')
    expect(cli(root, 'load', '-i', BUSYBOX_OCI).status).toBe(0)
    expect(cli(root, 'tag', 'localhost/mini-run/busybox:latest', 'example.com/team/bb:2').stdout).toBe('')
    const listed = cli(root, 'images').stdout.trim().split('\n')
    expect(listed).toHaveLength(3)
    const again = new ImageStore({ root })
    return (async () => {
      expect(await again.getRef('example.com/team/bb:2')).toBe(await again.getRef('localhost/mini-run/busybox:latest'))
      const rmi = cli(root, 'rmi', 'localhost/mini-run/busybox:latest')
      expect(rmi.stdout).toBe('Untagged: localhost/mini-run/busybox:latest\n')
      expect((await again.resolve('example.com/team/bb:2')).configDigest).toBe(busybox.configDigest)
      expect(cli(root, 'tag', 'localhost/absent:1', 'x:1').stderr).toBe('mini-run: no such image: localhost/absent:1\n')
      expect(cli(root, 'tag', 'example.com/team/bb:2', `x@sha256:${'a'.repeat(64)}`).stderr).toMatch(/refusing to create a tag with a digest reference/)
    })()
  })

  test('history: the config\'s steps, newest first, each with its layer\'s size; an empty layer has none', async () => {
    const layout = join(dir, 'history-layout')
    const longRun = 'RUN /bin/sh -c apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*'
    await writeOciLayout(layout, {
      name: 'localhost/mini/history:1',
      config: {
        created: '2024-05-01T10:00:00Z',
        history: [
          { created: '2024-05-01T09:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:0123 in /' },
          { created: '2024-05-01T09:30:00Z', created_by: 'ENV A=1', empty_layer: true },
          { created: '2024-05-01T10:00:00Z', created_by: longRun, comment: 'buildkit.dockerfile.v0' },
        ],
      },
      layers: [[{ path: 'a', type: 'file', content: 'a'.repeat(1500) }], [{ path: 'b', type: 'file', content: 'b'.repeat(20) }]],
    })
    const [loaded] = await loadArchive(store, layout)
    const r = cli(store.root, 'history', 'localhost/mini/history:1')
    expect(r.status).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/)
    expect(lines).toHaveLength(4)
    const id = loaded!.configDigest.slice(7, 19)
    expect(lines[1]).toMatch(new RegExp(`^${id}\\s+\\d+ (months|years) ago\\s+RUN /bin/sh -c apt-get update && apt-get ins…\\s+20B\\s+buildkit.dockerfile.v0$`))
    expect(lines[2]).toMatch(/^<missing>\s+\d+ (months|years) ago\s+ENV A=1\s+0B\s*$/)
    expect(lines[3]).toMatch(/^<missing>\s+\d+ (months|years) ago\s+\/bin\/sh -c #\(nop\) ADD file:0123 in \/\s+1\.5kB\s*$/)
    const raw = cli(store.root, 'history', '--no-trunc', '--no-human', 'localhost/mini/history:1').stdout
    expect(raw.split('\n')[1]!.split(/\s{3,}/)).toEqual([loaded!.configDigest, '2024-05-01T10:00:00Z', longRun, '20', 'buildkit.dockerfile.v0'])
    expect(cli(store.root, 'history', '-q', 'localhost/mini/history:1').stdout).toBe(`${id}\n<missing>\n<missing>\n`)
    // the fixture writes one step per layer
    const fixture = cli(store.root, 'history', 'localhost/mini/layers:1').stdout.trimEnd().split('\n')
    expect(fixture.slice(1).map((l) => l.split(/\s{3,}/)[2])).toEqual(['mini-run writeOciLayout', 'mini-run writeOciLayout'])
  })

  test('image inspect in Docker\'s shape', async () => {
    expect(cli(store.root, 'tag', 'localhost/mini/layers:1', 'localhost/mini/layers:other').status).toBe(0)
    const [info] = JSON.parse(cli(store.root, 'image', 'inspect', 'localhost/mini/layers:1').stdout) as Array<Record<string, any>>
    const image = await store.resolve('localhost/mini/layers:1')
    let size = 0
    for (const c of image.chainIds) size += (await store.getLayer(c)).size
    expect(info).toMatchObject({
      Id: layers.configDigest,
      RepoTags: ['localhost/mini/layers:1', 'localhost/mini/layers:other'],
      RepoDigests: [`localhost/mini/layers@${layers.manifestDigest}`],
      Created: '1970-01-01T00:00:00Z',
      Architecture: 'amd64',
      Os: 'linux',
      Size: size,
      RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
      Config: { Cmd: ['sh'] },
      GraphDriver: { Name: 'overlay', Data: { LowerDir: [...image.layerDirs].reverse().join(':') } },
    })
    expect(Date.parse(info!.Metadata.LastTagTime)).toBeGreaterThan(Date.now() - 600_000)
  })

  test('RepoDigests: none for a built image or a tag of its own, as Docker\'s [] for an image no registry has', () => {
    const ctx = join(dir, 'digests-ctx')
    mkdirSync(ctx)
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM localhost/mini/layers:1\nLABEL built=yes\n')
    const built = cli(store.root, 'build', '-q', '-t', 'localhost/mini/built:1', ctx)
    expect([built.stderr, built.status]).toEqual(['', 0])
    const digests = (ref: string) => JSON.parse(cli(store.root, 'image', 'inspect', '-f', '{{json .RepoDigests}}', ref).stdout) as string[]
    expect(digests('localhost/mini/built:1')).toEqual([])
    expect(cli(store.root, 'tag', 'localhost/mini/built:1', 'localhost/mini/built:2').status).toBe(0)
    expect(digests('localhost/mini/built:2')).toEqual([])
    // a tag of a loaded image adds no digest of its repository: the loaded name keeps its own
    expect(cli(store.root, 'tag', 'localhost/mini/layers:1', 'localhost/mini/retag:1').status).toBe(0)
    expect(digests('localhost/mini/retag:1')).toEqual([`localhost/mini/layers@${layers.manifestDigest}`])
    // a ref an older mini-run wrote has no repoDigest field: it keeps listing its manifest's digest, as then
    const refs = join(store.root, 'refs')
    const refFile = readdirSync(refs).map((f) => join(refs, f)).find((f) => (JSON.parse(readFileSync(f, 'utf8')) as { name: string }).name === 'localhost/mini/built:2')!
    const record = JSON.parse(readFileSync(refFile, 'utf8')) as Record<string, unknown>
    expect(record.repoDigest).toBeNull()
    delete record.repoDigest
    writeFileSync(refFile, JSON.stringify(record))
    expect(digests('localhost/mini/built:2')).toEqual([`localhost/mini/built@${record.manifestDigest as string}`])
    expect(cli(store.root, 'rmi', 'localhost/mini/built:1', 'localhost/mini/built:2', 'localhost/mini/retag:1').status).toBe(0)
  })
})
