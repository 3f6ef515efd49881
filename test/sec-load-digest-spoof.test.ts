/**
 * A name with a digest pins content: `run repo@sha256:X` must run the
 * manifest X or nothing. An archive names its images itself (OCI layout
 * annotations, docker save's RepoTags), so `load` of a layout annotated
 * `registry.example.com/team/app@sha256:<another image's digest>` made
 * `run --pull never|missing registry.example.com/team/app@sha256:<that>`
 * run the archive's image. The store now refuses any ref whose digest is
 * not its manifest's (or an index's that lists it), for every writer of
 * refs; `load` drops such a name with a warning and loads the image
 * without it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { sha256Digest } from '../src/image/digest.js'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { MediaType, type ImageIndex } from '../src/image/oci.js'
import { hostPlatform } from '../src/image/platform.js'
import { buildLayer, tempStore, type TempStore } from './helpers/image-store.js'
import { BUSYBOX_OCI, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { loadArchive } from '../src/image/load-archive.js'

const REF_NAME = 'org.opencontainers.image.ref.name'
const CONTAINERD_NAME = 'io.containerd.image.name'

/** The manifest digest of the busybox fixture: a real image, not the one loaded here. */
const OTHER = (JSON.parse(readFileSync(join(BUSYBOX_OCI, 'index.json'), 'utf8')) as ImageIndex).manifests[0]!.digest

/** Name the layout's only image `name`, as containerd and podman do. */
function annotate(layout: string, name: string): void {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as ImageIndex
  index.manifests[0]!.annotations = { [CONTAINERD_NAME]: name, [REF_NAME]: name }
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index))
}

const fileLayer = [{ path: 'etc/motd', type: 'file' as const, content: 'not the image you pinned\n' }]

describe('the store: a pinned name must be its manifest', () => {
  let e: TempStore | undefined
  afterEach(() => {
    e?.cleanup()
    e = undefined
  })

  test('setRef refuses repo@<other digest> and repo:tag@<other digest>, takes the true digest', async () => {
    e = tempStore()
    const w = await writeOciLayout(join(e.dir, 'layout'), { layers: [fileLayer] })
    const [img] = await loadArchive(e.store, join(e.dir, 'layout'))
    expect(img!.manifestDigest).toBe(w.manifestDigest)
    for (const name of [`acc.example/app@${OTHER}`, `acc.example/app:1@${OTHER}`]) {
      await expect(e.store.setRef(name, w.manifestDigest)).rejects.toMatchObject({
        code: 'EREFDIGEST',
        message: `acc.example/app@${OTHER} does not name this image: its manifest is ${w.manifestDigest}`,
      })
    }
    // an image id is its config digest, nothing else
    await expect(e.store.setRef(OTHER, w.manifestDigest)).rejects.toMatchObject({ code: 'EREFDIGEST' })
    expect((await e.store.findRefs(`acc.example/app@${OTHER}`)).length).toBe(0)

    await e.store.setRef(`acc.example/app:1@${w.manifestDigest}`, w.manifestDigest)
    expect(await e.store.getRef(`acc.example/app@${w.manifestDigest}`)).toBe(w.manifestDigest)
  })

  test('repo@<index digest> may name the platform manifest the index lists, and only that', async () => {
    e = tempStore()
    const layout = join(e.dir, 'layout')
    const w = await writeOciLayout(layout, { layers: [fileLayer] })
    const platform = hostPlatform()
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OCI_INDEX,
      manifests: [{ mediaType: MediaType.OCI_MANIFEST, digest: w.manifestDigest, size: 1, platform }],
    }))
    const indexDigest = sha256Digest(index)
    writeFileSync(join(layout, 'blobs/sha256', indexDigest.slice(7)), index)
    writeFileSync(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: MediaType.OCI_INDEX, digest: indexDigest, size: index.length, annotations: { [CONTAINERD_NAME]: `acc.example/multi@${indexDigest}` } }],
    }))
    const warnings: string[] = []
    const loaded = await loadArchive(e.store, layout, { warning: (m) => warnings.push(m) })
    expect(warnings).toEqual([])
    expect(loaded).toEqual([{ name: `acc.example/multi@${indexDigest}`, manifestDigest: w.manifestDigest, configDigest: w.configDigest }])
    // an index that does not list the manifest proves nothing
    const stranger = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }))
    await expect(e.store.setRef(`acc.example/multi@${sha256Digest(stranger)}`, w.manifestDigest, { index: stranger })).rejects.toMatchObject({ code: 'EREFDIGEST' })
    // nor do bytes that are not the named index
    await expect(e.store.setRef(`acc.example/multi@${OTHER}`, w.manifestDigest, { index })).rejects.toMatchObject({ code: 'EREFDIGEST' })
  })

  test('docker save: a RepoTag with @digest is dropped with a warning, the other tags kept', async () => {
    e = tempStore()
    const layer = await buildLayer(fileLayer, false)
    const config = Buffer.from(JSON.stringify({ ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [layer.diffId] } }))
    const dir = join(e.dir, 'save')
    mkdirSync(join(dir, 'l'), { recursive: true })
    writeFileSync(join(dir, 'l/layer.tar'), layer.tar)
    writeFileSync(join(dir, 'c.json'), config)
    const spoof = `acc.example/app:1@${OTHER}`
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: [spoof, 'acc.example/app:2'], Layers: ['l/layer.tar'] }]))
    const warnings: string[] = []
    const loaded = await loadArchive(e.store, dir, { warning: (m) => warnings.push(m) })
    expect(loaded.map((l) => l.name)).toEqual(['acc.example/app:2'])
    expect(warnings).toEqual([`${dir}: acc.example/app@${OTHER} does not name this image: its manifest is ${loaded[0]!.manifestDigest}; loaded without that name`])
    expect(await e.store.findRefs(spoof)).toEqual([])

    // the only name dropped: the image is loaded all the same, untagged
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: [spoof], Layers: ['l/layer.tar'] }]))
    const [untagged] = await loadArchive(e.store, dir)
    expect(untagged).toEqual({ manifestDigest: loaded[0]!.manifestDigest, configDigest: sha256Digest(config) })
    // a name the caller gives is not dropped: the load fails
    await expect(loadArchive(e.store, dir, { name: spoof })).rejects.toMatchObject({ code: 'EREFDIGEST' })
  })
})

describe.skipIf(!isRoot)('mini-run load, then run --pull never (needs root to run containers)', () => {
  let env: TestEnv
  let layout: string
  let real: string
  beforeAll(async () => {
    // busybox (OTHER) is not in this store: a pinned name cannot reach it
    env = await makeTestEnv({ loadBusybox: false })
    layout = join(env.dir, 'spoof')
    const w = await writeOciLayout(layout, {
      config: { config: { Cmd: ['sh'] } },
      layers: [{ dir: BUSYBOX_ROOTFS }, fileLayer],
    })
    real = w.manifestDigest
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  test('a layout annotated with another image\'s digest loads without that name', () => {
    expect(real).not.toBe(OTHER)
    annotate(layout, `acc.example/app@${OTHER}`)
    const load = env.run(['load', '-i', layout])
    expect(load.stderr).toBe(`mini-run: warning: ${layout}: acc.example/app@${OTHER} does not name this image: its manifest is ${real}; loaded without that name\n`)
    expect(load.stdout).toMatch(/^Loaded image ID: sha256:[0-9a-f]{64}\n$/)
    expect(load.status).toBe(0)

    const run = env.run(env.runArgs(['--pull', 'never', `acc.example/app@${OTHER}`, 'cat', '/etc/motd']))
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(`mini-run: no such image: acc.example/app@${OTHER}\n`)
    expect(run.status).toBe(125)
  })

  test('the same layout pinned to its own manifest digest loads under that name and runs', () => {
    annotate(layout, `acc.example/app@${real}`)
    const load = env.run(['load', '-i', layout])
    expect(load.stderr).toBe('')
    expect(load.stdout).toBe(`Loaded image: acc.example/app@${real}\n`)
    const run = env.run(env.runArgs(['--pull', 'never', `acc.example/app@${real}`, 'cat', '/etc/motd']))
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('not the image you pinned\n')
    expect(run.status).toBe(0)
  })
})
