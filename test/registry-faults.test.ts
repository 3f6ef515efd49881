/**
 * What goes wrong between a registry and us: a blob altered on the
 * registry's disk, 5xx and 429 answers, a connection cut mid-blob (with and
 * without Range support), a manifest too large or of schema 1, a pull killed
 * with SIGKILL mid-layer, and two pulls of one image at once.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ImageStore } from '../src/image/store.js'
import { ContentVerificationError, RegistryError, UnsupportedManifestError } from '../src/registry/errors.js'
import { pullImage } from '../src/registry/pull.js'
import { miniRunAsync } from './helpers/cli.js'
import { buildImage, pushImage, type BuiltImage } from './helpers/registry-images.js'
import { registryUnavailable, startProxy, startRegistry, type RegistryProxy, type RegistryServer } from './helpers/registry-server.js'

const unavailable = registryUnavailable()
const fastRetry = { attempts: 4, baseDelayMs: 5 }
const BIG = 4 << 20

describe.skipIf(unavailable)(`registry faults${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let proxy: RegistryProxy
  let work: string
  let image: BuiltImage
  /** The layer holding BIG bytes of random data: the one to cut, slow or tamper with. */
  let big: BuiltImage['layers'][number]
  let bigContent: Buffer

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mini-run-faults-'))
    registry = await startRegistry()
    proxy = await startProxy(registry)
    const { randomBytes } = await import('node:crypto')
    bigContent = randomBytes(BIG) // random: gzip cannot shrink it, the blob stays BIG
    image = await buildImage({ layers: [{ 'etc/a': 'a\n' }, { 'big.bin': bigContent }, { 'etc/c': 'c\n' }] })
    big = image.layers[1]!
    await pushImage(registry.url, 'test/app', 'v1', image)
  })

  afterEach(() => proxy.reset())

  afterAll(async () => {
    await proxy?.stop()
    await registry?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  async function store(): Promise<ImageStore> {
    return new ImageStore({ root: await mkdtemp(join(work, 'store-')) })
  }

  const isBlob = (url: string, digest: string): boolean => url.endsWith(`/blobs/${digest}`)
  const ref = (): string => `${proxy.host}/test/app:v1`

  /** Every entry of the store's visible dirs: what a user (or `run`) could see. */
  async function visible(s: ImageStore): Promise<string[]> {
    const out: string[] = []
    for (const dir of [s.refsDir, s.blobsDir, s.layersDir]) {
      if (existsSync(dir)) out.push(...(await readdir(dir)).map((e) => `${dir}/${e}`))
    }
    return out
  }

  async function expectComplete(s: ImageStore): Promise<void> {
    const resolved = await s.resolve(ref())
    expect(resolved.manifestDigest).toBe(image.manifest.digest)
    expect((await readFile(join(resolved.layerDirs[1]!, 'big.bin'))).equals(bigContent)).toBe(true)
  }

  it('a blob altered on the registry fails the pull naming its digest, and stores nothing', async () => {
    await pushImage(registry.url, 'test/tampered', 'v1', image)
    const path = registry.blobDataPath(big.digest)
    const fh = await open(path, 'r+')
    const original = Buffer.alloc(1)
    try {
      // one byte, same size: only the digest can tell
      await fh.read(original, 0, 1, BIG / 2)
      await fh.write(Buffer.from([original[0]! ^ 0xff]), 0, 1, BIG / 2)
      const s = await store()
      const pull = pullImage(`${registry.host}/test/tampered:v1`, { store: s })
      await expect(pull).rejects.toThrow(ContentVerificationError)
      await expect(pull).rejects.toThrow(`${big.digest}: digest mismatch`)
      expect(await visible(s)).toEqual([])
      expect(await readdir(s.tmpDir)).toEqual([])
    } finally {
      await fh.write(original, 0, 1, BIG / 2)
      await fh.close()
    }
  })

  it('retries 500 and 429 (with Retry-After), then succeeds', async () => {
    proxy.handler = async (e) => {
      if (e.req.url?.includes('/manifests/') && e.seen === 0) {
        e.res.writeHead(429, { 'retry-after': '0' }).end()
      } else if (e.req.url && isBlob(e.req.url, big.digest) && e.seen < 2) {
        e.res.writeHead(e.seen === 0 ? 500 : 503).end('{"errors":[{"code":"UNKNOWN","message":"boom"}]}')
      } else {
        await e.forward()
      }
    }
    const s = await store()
    await pullImage(ref(), { store: s, retry: fastRetry })
    await expectComplete(s)
    expect(proxy.requests.filter((r) => r.url.includes('/manifests/'))).toHaveLength(2)
    expect(proxy.requests.filter((r) => isBlob(r.url, big.digest))).toHaveLength(3)
  })

  it('gives up after the last retry, with the registry\'s message', async () => {
    proxy.handler = (e) => {
      if (e.req.url && isBlob(e.req.url, big.digest)) e.res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}')
      else return e.forward()
    }
    const s = await store()
    const pull = pullImage(ref(), { store: s, retry: fastRetry })
    await expect(pull).rejects.toThrow(RegistryError)
    await expect(pull).rejects.toThrow(`blob ${big.digest} of ${proxy.host}/test/app: disk on fire (HTTP 500)`)
    expect(proxy.requests.filter((r) => isBlob(r.url, big.digest))).toHaveLength(fastRetry.attempts)
    expect(await visible(s)).toEqual([])
  })

  it('a connection cut mid-blob resumes with a Range request', async () => {
    proxy.handler = (e) => e.forward(e.req.url && isBlob(e.req.url, big.digest) && e.seen === 0 ? { cutAfter: 1_000_000 } : {})
    const s = await store()
    await pullImage(ref(), { store: s, retry: fastRetry })
    await expectComplete(s)
    const gets = proxy.requests.filter((r) => isBlob(r.url, big.digest))
    expect(gets).toHaveLength(2)
    expect(gets[0]!.headers.range).toBeUndefined()
    const start = Number(/^bytes=(\d+)-$/.exec(String(gets[1]!.headers.range))?.[1])
    expect(start).toBeGreaterThan(0)
    expect(start).toBeLessThanOrEqual(1_000_000)
  })

  it('a connection cut mid-blob restarts it when the registry ignores Range', async () => {
    proxy.handler = (e) => {
      if (e.req.url && isBlob(e.req.url, big.digest)) {
        return e.forward(e.seen === 0 ? { cutAfter: 1_500_000 } : { dropHeaders: ['range'] })
      }
      return e.forward()
    }
    const s = await store()
    await pullImage(ref(), { store: s, retry: fastRetry })
    await expectComplete(s)
    expect(proxy.requests.filter((r) => isBlob(r.url, big.digest))).toHaveLength(2)
  })

  it('a connection that goes silent mid-blob is given up after the idle timeout and resumed', async () => {
    // the stall lasts until the client leaves: longer than any timeout; 2 s, not less, for the requests that do answer on a busy machine
    proxy.handler = (e) => e.forward(e.req.url && isBlob(e.req.url, big.digest) && e.seen === 0 ? { stallAfter: 700_000 } : {})
    const s = await store()
    await pullImage(ref(), { store: s, retry: fastRetry, idleTimeoutMs: 2000 })
    await expectComplete(s)
    const gets = proxy.requests.filter((r) => isBlob(r.url, big.digest))
    expect(gets).toHaveLength(2)
    expect(gets[1]!.headers.range).toMatch(/^bytes=[1-9]\d*-$/)
  })

  it('an aborted pull stops its downloads and stores nothing', async () => {
    let sent = 0
    proxy.handler = (e) =>
      e.forward(e.req.url && isBlob(e.req.url, big.digest) ? { bytesPerSecond: 2_000_000, onBytes: (n) => (sent = n) } : {})
    const s = await store()
    const controller = new AbortController()
    const pull = pullImage(ref(), { store: s, signal: controller.signal })
    while (sent < 500_000) await sleep(10)
    controller.abort(new Error('user pressed ^C'))
    await expect(pull).rejects.toThrow('user pressed ^C')
    expect(await visible(s)).toEqual([])
    expect(await readdir(s.tmpDir)).toEqual([])
  })

  it('refuses a manifest over 4 MiB', async () => {
    proxy.handler = (e) => {
      if (!e.req.url?.includes('/manifests/')) return e.forward()
      e.res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
      e.res.end(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20))
    }
    await expect(pullImage(ref(), { store: await store() })).rejects.toThrow(/manifest for .*test\/app:v1 is larger than 4194304 bytes/)
  })

  it('refuses schema 1 with a message saying what to do', async () => {
    proxy.handler = (e) => {
      if (!e.req.url?.includes('/manifests/')) return e.forward()
      e.res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' })
      e.res.end(JSON.stringify({ schemaVersion: 1, name: 'test/app', tag: 'v1', fsLayers: [], history: [], signatures: [] }))
    }
    const pull = pullImage(ref(), { store: await store() })
    await expect(pull).rejects.toThrow(UnsupportedManifestError)
    await expect(pull).rejects.toThrow(/schema 1 .* not supported: push the image again/)
  })

  it('Ctrl-C during a build\'s FROM pull: compose build stops it at once (exit 130); build stops at a second one', async () => {
    // the big layer stalls: the pull cannot end by itself
    let stalled = false
    proxy.handler = (e) => {
      if (!e.req.url || !isBlob(e.req.url, big.digest)) return e.forward()
      stalled = true
      return e.forward({ stallAfter: 1000 })
    }
    const dir = await mkdtemp(join(work, 'ctx-'))
    await writeFile(join(dir, 'Dockerfile'), `FROM ${ref()}\nRUN true\n`)
    await writeFile(join(dir, 'compose.yaml'), 'services:\n  app:\n    build: .\n')
    const s = await store()
    const started = async (r: ReturnType<typeof miniRunAsync>) => {
      const deadline = Date.now() + 30_000
      while (!stalled && r.child.exitCode === null && Date.now() < deadline) await sleep(20)
      expect([stalled, r.child.exitCode]).toEqual([true, null])
    }
    const composeBuild = miniRunAsync(['--root', s.root, '--state', join(s.root, 'state'), 'compose', '-p', 'ctrlc', '-f', join(dir, 'compose.yaml'), 'build'])
    await started(composeBuild)
    composeBuild.child.kill('SIGINT')
    const c = await composeBuild.done
    expect([c.status, c.stderr.split('\n').filter((l) => l.startsWith('mini-run:'))]).toEqual([130, ['mini-run: build interrupted']])
    // build's own FROM pull does not listen: the first Ctrl-C waits, a second one is not waited on
    stalled = false
    const build = miniRunAsync(['--root', s.root, '--state', join(s.root, 'state'), 'build', '--progress', 'plain', dir])
    await started(build)
    build.child.kill('SIGINT')
    await sleep(300)
    expect(build.child.exitCode).toBeNull()
    build.child.kill('SIGINT')
    expect((await build.done).signal).toBe('SIGINT')
    expect(await visible(s)).toEqual([])
  })

  it('a pull killed with SIGKILL mid-layer leaves nothing visible, and the next pull succeeds', async () => {
    let sent = 0
    proxy.handler = (e) =>
      e.forward(e.req.url && isBlob(e.req.url, big.digest) ? { bytesPerSecond: 1_000_000, onBytes: (n) => (sent = n) } : {})
    const s = await store()
    const { child, done } = miniRunAsync(['--root', s.root, 'pull', ref()])
    const deadline = Date.now() + 30_000
    while (sent < 1_000_000 && child.exitCode === null && Date.now() < deadline) await sleep(20)
    expect(child.exitCode).toBeNull()
    expect(sent).toBeGreaterThanOrEqual(1_000_000)
    expect(sent).toBeLessThan(BIG)
    child.kill('SIGKILL')
    expect((await done).signal).toBe('SIGKILL')

    expect(await visible(s)).toEqual([])
    expect((await readdir(s.tmpDir)).length).toBeGreaterThan(0) // the dead pull's work, invisible

    proxy.handler = undefined
    const fresh = new ImageStore({ root: s.root })
    await pullImage(ref(), { store: fresh })
    await expectComplete(fresh)
    expect(await readdir(s.tmpDir)).toEqual([])
  })

  it('two pulls of one image into one store at once both succeed', async () => {
    proxy.handler = (e) => e.forward(e.req.url && isBlob(e.req.url, big.digest) ? { bytesPerSecond: 8_000_000 } : {})
    const s = await store()
    const cli = miniRunAsync(['--root', s.root, 'pull', ref()])
    const [inProcess, viaCli] = await Promise.all([pullImage(ref(), { store: s }), cli.done])
    expect(viaCli.stderr).toBe('')
    expect(viaCli.status).toBe(0)
    expect(inProcess.manifestDigest).toBe(image.manifest.digest)
    await expectComplete(s)
    // the second waited for the first's ingest lock, then found the layer stored (issue 13)
    expect(proxy.requests.filter((r) => isBlob(r.url, big.digest))).toHaveLength(1)
    expect(await readdir(s.tmpDir)).toEqual([])
    expect((await stat(s.layerPath(inProcess.layers[1]!.chainId))).isDirectory()).toBe(true)
  })
})
