/**
 * Pulling from a real registry (Debian's docker-registry on 127.0.0.1): a
 * multi-layer image into a temp store, by tag and by digest, the platform
 * of an index, Docker schema 2 pushed by skopeo, the Accept header, and the
 * CLI's output.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { PlatformNotFoundError } from '../src/registry/errors.js'
import { imageDetails } from '../src/image/image-details.js'
import { pullImage } from '../src/registry/pull.js'
import { ensureImage } from '../src/registry/ensure-image.js'
import type { PullEvent } from '../src/registry/progress.js'
import { LAUNCHER, miniRun, miniRunAsync } from './helpers/cli.js'
import { buildImage, buildIndex, pushImage, pushIndex, type BuiltImage, type BuiltIndex } from './helpers/registry-images.js'
import { BUSYBOX_OCI, isRoot, makeTestEnv } from './helpers/test-env.js'
import { registryUnavailable, startProxy, startRegistry, type RegistryProxy, type RegistryServer } from './helpers/registry-server.js'

const unavailable = registryUnavailable()
const ACCEPTED = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]

describe.skipIf(unavailable)(`pull from a local registry${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let proxy: RegistryProxy
  let work: string
  let app: BuiltImage
  let multi: BuiltIndex

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mini-run-pull-'))
    registry = await startRegistry()
    proxy = await startProxy(registry)
    app = await buildImage({
      layers: [
        { 'etc/os-release': 'NAME=test\n', 'bin/hello': '#!/bin/sh\necho hello\n' },
        { 'data/random.bin': Buffer.alloc(1 << 20, 7) },
        { 'etc/motd': 'third layer\n', 'data/random.bin': 'replaced\n' },
      ],
    })
    await pushImage(registry.url, 'test/app', 'v1', app)
    const amd64 = await buildImage({ layers: [{ 'arch.txt': 'amd64\n' }], architecture: 'amd64' })
    const arm64 = await buildImage({ layers: [{ 'arch.txt': 'arm64\n' }], architecture: 'arm64', variant: 'v8' })
    const armv7 = await buildImage({ layers: [{ 'arch.txt': 'arm/v7\n' }], architecture: 'arm', variant: 'v7' })
    multi = buildIndex([amd64, arm64, armv7])
    await pushIndex(registry.url, 'test/multi', 'latest', multi)
  })

  afterAll(async () => {
    await proxy?.stop()
    await registry?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  async function freshStore(): Promise<ImageStore> {
    return new ImageStore({ root: await mkdtemp(join(work, 'store-')) })
  }

  it('pulls a multi-layer image by tag, unpacking every layer', async () => {
    const store = await freshStore()
    const events: PullEvent[] = []
    const statuses: string[] = [] // layer events carry the same object each time: record the status as it was
    const result = await pullImage(`${registry.host}/test/app:v1`, {
      store,
      progress: (e) => {
        events.push(e)
        if (e.type === 'layer') statuses.push(e.layer.status)
      },
    })

    expect(result.name).toBe(`${registry.host}/test/app:v1`)
    expect(result.manifestDigest).toBe(app.manifest.digest)
    expect(result.configDigest).toBe(app.config.digest)
    expect(result.layers.map((l) => l.digest)).toEqual(app.layers.map((l) => l.digest))
    const image = await store.resolve(`${registry.host}/test/app:v1`)
    expect(image.layerDirs).toHaveLength(3)
    expect(await readFile(join(image.layerDirs[0]!, 'bin/hello'), 'utf8')).toContain('echo hello')
    expect((await readFile(join(image.layerDirs[1]!, 'data/random.bin'))).length).toBe(1 << 20)
    expect(await readFile(join(image.layerDirs[2]!, 'etc/motd'), 'utf8')).toBe('third layer\n')
    expect(image.config.config?.Cmd).toEqual(['/bin/sh'])

    const resolved = events.find((e) => e.type === 'resolved')
    expect(resolved).toMatchObject({ type: 'resolved', manifestDigest: app.manifest.digest, platform: 'linux/amd64' })
    expect(events.at(-1)).toMatchObject({ type: 'done', configDigest: app.config.digest })
    expect(statuses).toContain('downloading')
    expect(statuses.filter((s) => s === 'verified')).toHaveLength(3)
    expect(statuses.filter((s) => s === 'complete')).toHaveLength(3)
    expect(await readdir(store.tmpDir)).toEqual([])
  })

  it('sends the four manifest media types in Accept; without them the registry refuses', async () => {
    proxy.reset()
    const store = await freshStore()
    await pullImage(`${proxy.host}/test/app:v1`, { store })
    const manifestGets = proxy.requests.filter((r) => r.url.includes('/manifests/'))
    expect(manifestGets.length).toBeGreaterThan(0)
    for (const r of manifestGets) {
      const accept = String(r.headers.accept).split(',').map((s) => s.trim().split(';')[0])
      for (const type of ACCEPTED) expect(accept).toContain(type)
    }
    // The same requests without Accept: distribution answers 404 for an OCI
    // manifest or index a client did not say it understands.
    const bare = await fetch(`${registry.url}/v2/test/app/manifests/v1`)
    expect(bare.status).toBe(404)
    expect(await bare.text()).toMatch(/OCI manifest found, but accept header does not support OCI manifests/)
    const bareIndex = await fetch(`${registry.url}/v2/test/multi/manifests/latest`)
    expect(bareIndex.status).toBe(404)
  })

  it('pulls by digest, and a second pull downloads nothing', async () => {
    const store = await freshStore()
    const ref = `${registry.host}/test/app@${app.manifest.digest}`
    const first = await pullImage(ref, { store })
    expect(first.manifestDigest).toBe(app.manifest.digest)
    expect(await store.getRef(ref)).toBe(app.manifest.digest)
    expect((await store.resolve(ref)).configDigest).toBe(app.config.digest)

    proxy.reset()
    const again = await pullImage(`${proxy.host}/test/app:v1`, { store })
    expect(again.layers.every((l) => l.existed)).toBe(true)
    expect(proxy.requests.filter((r) => r.url.includes('/blobs/sha256:') && app.layers.some((l) => r.url.includes(l.digest)))).toEqual([])
  })

  it('selects the platform from an index: the host, --platform, and none matching', async () => {
    const [amd64, arm64, armv7] = multi.images as [BuiltImage, BuiltImage, BuiltImage]
    const store = await freshStore()
    const host = await pullImage(`${registry.host}/test/multi:latest`, { store })
    expect(host.indexDigest).toBe(multi.index.digest)
    expect(host.manifestDigest).toBe(amd64.manifest.digest)
    expect(host.platform).toEqual({ os: 'linux', architecture: 'amd64' })
    // the registry holds the name under the index's digest: Docker's RepoDigests, and images --digests
    expect((await imageDetails(store, `${registry.host}/test/multi:latest`)).repoDigests).toEqual([`${registry.host}/test/multi@${multi.index.digest}`])
    expect((await store.list()).find((i) => i.tag === 'latest')?.repoDigest).toBe(multi.index.digest)

    const arm = await pullImage(`${registry.host}/test/multi:latest`, { store: await freshStore(), platform: 'linux/arm64' })
    expect(arm.manifestDigest).toBe(arm64.manifest.digest)
    const v7 = await pullImage(`${registry.host}/test/multi@${multi.index.digest}`, { store: await freshStore(), platform: 'linux/arm/v7' })
    expect(v7.manifestDigest).toBe(armv7.manifest.digest)

    // a single-platform image asked for another platform: refused, as Docker does
    const single = pullImage(`${registry.host}/test/app:v1`, { store: await freshStore(), platform: 'linux/arm64' })
    await expect(single).rejects.toThrow(/test\/app:v1 is for linux\/amd64, not linux\/arm64/)

    const none = pullImage(`${registry.host}/test/multi:latest`, { store: await freshStore(), platform: 'linux/s390x' })
    await expect(none).rejects.toThrow(PlatformNotFoundError)
    await expect(none).rejects.toThrow(/no matching manifest for linux\/s390x .*linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7/)
  })

  it('pulls a Docker schema 2 image pushed by skopeo from an OCI layout', async () => {
    if (!existsSync('/usr/bin/skopeo')) throw new Error('skopeo is missing: apt-get install -y skopeo')
    const layout = join(work, 'layout')
    await writeOciLayout(layout, {
      name: 'localhost/test/skopeo:v2',
      layers: [[{ path: 'hello.txt', type: 'file', content: 'from skopeo\n' }], [{ path: 'etc', type: 'dir' }, { path: 'etc/x', type: 'file', content: 'x' }]],
    })
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--format', 'v2s2', `oci:${layout}:v2`, `docker://${registry.host}/test/skopeo:v2`])
    const store = await freshStore()
    const result = await pullImage(`${registry.host}/test/skopeo:v2`, { store })
    const manifest = JSON.parse((await store.getBlob(result.manifestDigest)).toString()) as { mediaType: string }
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json')
    const image = await store.resolve(`${registry.host}/test/skopeo:v2`)
    expect(await readFile(join(image.layerDirs[0]!, 'hello.txt'), 'utf8')).toBe('from skopeo\n')
  })

  it('ensureImage pulls only when the policy says so', async () => {
    const store = await freshStore()
    const ref = `${registry.host}/test/app:v1`
    await expect(ensureImage(ref, 'never', { store })).rejects.toMatchObject({ code: 'ENOIMAGE' })
    const missing: string[] = []
    const first = await ensureImage(ref, 'missing', { store, onMissing: (r) => missing.push(r) })
    expect(first.pulled?.manifestDigest).toBe(app.manifest.digest)
    expect(missing).toEqual([ref])
    const second = await ensureImage(ref, 'missing', { store })
    expect(second.pulled).toBeUndefined()
    expect(second.image.configDigest).toBe(app.config.digest)
    const always = await ensureImage(ref, 'always', { store })
    expect(always.pulled?.layers.every((l) => l.existed)).toBe(true)
    expect((await ensureImage(ref, 'never', { store })).image.manifestDigest).toBe(app.manifest.digest)
  })

  it('mini-run pull prints one line per layer without a TTY', async () => {
    const root = await mkdtemp(join(work, 'cli-'))
    const r = miniRun(['--root', root, 'pull', `${registry.host}/test/app:v1`])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toBe('v1: Pulling from test/app')
    for (const layer of app.layers) {
      expect(lines.filter((l) => l.startsWith(`${layer.digest.slice(7, 19)}: Pull complete`))).toHaveLength(1)
    }
    expect(lines).toContain(`Digest: ${app.manifest.digest}`)
    expect(lines.at(-1)).toBe(`${registry.host}/test/app:v1`)

    const again = miniRun(['--root', root, 'pull', `${registry.host}/test/app:v1`])
    expect(again.stdout).toContain('Already exists')
    expect(again.stdout).toContain('Status: Image is up to date')
    const bad = miniRun(['--root', root, 'pull', `${registry.host}/test/nope:v1`])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/manifest for 127\.0\.0\.1:\d+\/test\/nope:v1 not found/)
    // Docker's puller says "Pulling from" after the registry answered with a manifest, not before a 404
    expect(bad.stdout).toBe('')
  })

  it('mini-run pull --all-tags pulls each tag the registry lists, following its Link rel="next" pages; a tag with it is refused', async () => {
    const second = await buildImage({ layers: [{ 'etc/motd': 'second tag\n' }] })
    await pushImage(registry.url, 'test/tagged', 'v1', app)
    await pushImage(registry.url, 'test/tagged', 'v2', second)
    // one tag a page, as a registry that cuts the list short says where the rest is
    proxy.handler = async (e) => {
      const url = new URL(e.req.url ?? '/', 'http://x')
      if (url.pathname !== '/v2/test/tagged/tags/list') return e.forward()
      const last = url.searchParams.get('last')
      const link = last === null ? { link: '</v2/test/tagged/tags/list?n=1&last=v1>; rel="next"' } : undefined
      e.res.writeHead(200, { 'content-type': 'application/json', ...link }).end(JSON.stringify({ name: 'test/tagged', tags: [last === null ? 'v1' : 'v2'] }))
    }
    try {
      const root = await mkdtemp(join(work, 'cli-all-'))
      // the proxy answers in this process: the CLI runs alongside, not in a spawnSync that would block it
      const cli = (args: string[]) => miniRunAsync(['--root', root, 'pull', ...args]).done
      const r = await cli(['-a', `${proxy.host}/test/tagged`])
      expect([r.stderr, r.status]).toEqual(['', 0])
      const lines = r.stdout.trim().split('\n')
      expect(lines.filter((l) => / Pulling from /.test(l))).toEqual(['v1: Pulling from test/tagged', 'v2: Pulling from test/tagged'])
      // Docker's: a Digest line after each tag, one Status line for the repository, then its name
      expect(lines.filter((l) => /^(Digest|Status): /.test(l))).toEqual([
        `Digest: ${app.manifest.digest}`,
        `Digest: ${second.manifest.digest}`,
        `Status: Downloaded newer image for ${proxy.host}/test/tagged`,
      ])
      expect(lines.at(-1)).toBe(`${proxy.host}/test/tagged`)
      const store = new ImageStore({ root })
      expect((await store.resolve(`${proxy.host}/test/tagged:v1`)).manifestDigest).toBe(app.manifest.digest)
      expect((await store.resolve(`${proxy.host}/test/tagged:v2`)).manifestDigest).toBe(second.manifest.digest)
      const again = (await cli(['-a', `${proxy.host}/test/tagged`])).stdout.trim().split('\n')
      expect(again.filter((l) => /^Status: /.test(l))).toEqual([`Status: Image is up to date for ${proxy.host}/test/tagged`])
      expect((await cli(['--all-tags', '-q', `${proxy.host}/test/tagged`])).stdout).toBe(`${proxy.host}/test/tagged\n`)
      const tagged = await cli(['--all-tags', `${proxy.host}/test/tagged:v1`])
      expect([tagged.stderr, tagged.stdout, tagged.status]).toEqual(["mini-run: tag can't be used with --all-tags/-a\n", '', 1])
    } finally {
      proxy.reset()
    }
  })

  // The launcher's run bundle leaves the registry client and the layer
  // unpacker to dist/mini-run-pull.cjs (scripts/bundle.mjs), which it
  // requires only for a pull: a --require probe records whether it did.
  it.skipIf(!isRoot)('mini-run run of an image the store lacks pulls it through the launcher, from the pull bundle only then (needs root: it starts containers)', async () => {
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${BUSYBOX_OCI}:latest`, `docker://${registry.host}/test/busybox:latest`])
    const env = await makeTestEnv({ loadBusybox: false })
    const probe = join(env.dir, 'probe.cjs')
    const log = join(env.dir, 'required')
    writeFileSync(
      probe,
      `const Module = require('module'); const req = Module.prototype.require;
Module.prototype.require = function (id) { if (/mini-run-pull\\.cjs$/.test(id)) require('fs').appendFileSync(${JSON.stringify(log)}, id + '\\n'); return req.apply(this, arguments) }`,
    )
    const run = (...args: string[]) => {
      writeFileSync(log, '')
      const r = spawnSync(process.execPath, ['--require', probe, LAUNCHER, ...env.runArgs(['--network', 'none', `${registry.host}/test/busybox:latest`, ...args])], { encoding: 'utf8' })
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, required: readFileSync(log, 'utf8') }
    }
    try {
      const first = run('echo', 'pulled and ran')
      expect(first.stderr).toContain(`Unable to find image '${registry.host}/test/busybox:latest' locally\n`)
      expect(first.stderr).toContain('Pull complete')
      // as Docker's run: the pull's heading and its last lines, on stderr, in pull's order
      const said = first.stderr.split('\n').filter((l) => /^(Unable|latest: Pulling|Digest|Status)/.test(l))
      expect(said).toEqual([
        `Unable to find image '${registry.host}/test/busybox:latest' locally`,
        'latest: Pulling from test/busybox',
        expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/),
        `Status: Downloaded newer image for ${registry.host}/test/busybox:latest`,
      ])
      expect(first.stdout).toBe('pulled and ran\n')
      expect(first.status).toBe(0)
      expect(first.required).toBe('./mini-run-pull.cjs\n')
      // stored now: no pull, and nothing of the pull bundle read
      expect(run('echo', 'again')).toEqual({ status: 0, stdout: 'again\n', stderr: '', required: '' })
      expect(env.leftovers()).toEqual([])
    } finally {
      env.cleanup()
    }
  })
})
