/**
 * Authentication against a registry that demands it: a proxy on 127.0.0.1
 * in front of docker-registry answers 401 with a Bearer or Basic challenge
 * and serves the token endpoint; credentials come from a temp
 * DOCKER_CONFIG, as `docker login` writes them.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ImageStore } from '../src/image/store.js'
import { RegistryAuthError } from '../src/registry/errors.js'
import { pullImage } from '../src/registry/pull.js'
import { buildImage, pushImage, type BuiltImage } from './helpers/registry-images.js'
import { registryUnavailable, startProxy, startRegistry, type RegistryProxy, type RegistryServer } from './helpers/registry-server.js'

const unavailable = registryUnavailable()
const alice = { username: 'alice', password: 's3cret:with:colons' }

describe.skipIf(unavailable)(`registry authentication${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let proxy: RegistryProxy
  let work: string
  let image: BuiltImage
  const savedDockerConfig = process.env.DOCKER_CONFIG

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mini-run-auth-'))
    registry = await startRegistry()
    proxy = await startProxy(registry)
    image = await buildImage({ layers: [{ 'a.txt': 'a\n' }, { 'b.txt': 'b\n' }, { 'c.txt': 'c\n' }] })
    await pushImage(registry.url, 'private/app', 'v1', image)
    await pushImage(registry.url, 'private/other', 'v1', image)
  })

  afterEach(() => {
    proxy.reset()
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG
    else process.env.DOCKER_CONFIG = savedDockerConfig
  })

  afterAll(async () => {
    await proxy?.stop()
    await registry?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  async function store(): Promise<ImageStore> {
    return new ImageStore({ root: await mkdtemp(join(work, 'store-')) })
  }

  /** A DOCKER_CONFIG dir whose config.json holds `auths`. */
  async function dockerConfig(auths: Record<string, unknown>): Promise<string> {
    const dir = await mkdtemp(join(work, 'docker-'))
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths }))
    return dir
  }

  const encoded = (c: { username: string; password: string }): string => Buffer.from(`${c.username}:${c.password}`).toString('base64')

  it('anonymous Bearer: fetches one token per scope and reuses it for every request', async () => {
    proxy.auth = { kind: 'bearer' }
    const emptyConfig = await dockerConfig({})
    const result = await pullImage(`${proxy.host}/private/app:v1`, { store: await store(), dockerConfigDir: emptyConfig })
    expect(result.manifestDigest).toBe(image.manifest.digest)

    expect(proxy.tokenRequests).toHaveLength(1)
    const tokenUrl = new URL(proxy.tokenRequests[0]!.url, 'http://x')
    expect(tokenUrl.searchParams.get('service')).toBe('mini-run-test')
    expect(tokenUrl.searchParams.getAll('scope')).toEqual(['repository:private/app:pull'])
    expect(proxy.tokenRequests[0]!.headers.authorization).toBeUndefined()
    // one 401 (the first manifest request), then every request carries the token
    const registryRequests = proxy.requests.filter((r) => r.url.startsWith('/v2/'))
    expect(registryRequests[0]!.headers.authorization).toBeUndefined()
    for (const r of registryRequests.slice(1)) expect(r.headers.authorization).toMatch(/^Bearer [0-9a-f]{32}$/)
    const blobRequests = registryRequests.filter((r) => r.url.includes('/blobs/'))
    expect(blobRequests).toHaveLength(4) // config + 3 layers, none retried
  })

  it('Bearer with credentials from $DOCKER_CONFIG sends them to the token endpoint only', async () => {
    proxy.auth = { kind: 'bearer', credentials: alice }
    process.env.DOCKER_CONFIG = await dockerConfig({ [`http://${proxy.host}/v1/`]: { auth: encoded(alice) } })
    await pullImage(`${proxy.host}/private/app:v1`, { store: await store() })
    expect(proxy.tokenRequests).toHaveLength(1)
    expect(proxy.tokenRequests[0]!.headers.authorization).toBe(`Basic ${encoded(alice)}`)
    for (const r of proxy.requests.filter((x) => x.url.startsWith('/v2/'))) {
      expect(r.headers.authorization ?? '').not.toMatch(/^Basic/)
    }
  })

  it('a token is scoped: another repository gets its own', async () => {
    proxy.auth = { kind: 'bearer' }
    const s = await store()
    const config = await dockerConfig({})
    await pullImage(`${proxy.host}/private/app:v1`, { store: s, dockerConfigDir: config })
    await pullImage(`${proxy.host}/private/other:v1`, { store: s, dockerConfigDir: config })
    expect(proxy.tokenRequests.map((r) => new URL(r.url, 'http://x').searchParams.get('scope'))).toEqual([
      'repository:private/app:pull',
      'repository:private/other:pull',
    ])
  })

  it('Bearer with wrong credentials fails naming the registry, and stores nothing', async () => {
    proxy.auth = { kind: 'bearer', credentials: alice }
    const config = await dockerConfig({ [proxy.host]: { auth: encoded({ username: 'alice', password: 'wrong' }) } })
    const s = await store()
    const pull = pullImage(`${proxy.host}/private/app:v1`, { store: s, dockerConfigDir: config })
    await expect(pull).rejects.toThrow(RegistryAuthError)
    await expect(pull).rejects.toThrow(`${proxy.host}: credentials of alice refused`)
    expect(await s.getRef(`${proxy.host}/private/app:v1`)).toBeUndefined()
  })

  it('follows a blob redirect to another origin (a CDN) without the registry token', async () => {
    const cdnAuthorization: Array<string | undefined> = []
    const cdn = http.createServer((req, res) => {
      cdnAuthorization.push(req.headers.authorization)
      void fetch(`${registry.url}${req.url}`).then(async (upstream) => {
        res.writeHead(upstream.status, { 'content-type': 'application/octet-stream' })
        res.end(Buffer.from(await upstream.arrayBuffer()))
      })
    })
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve))
    try {
      const cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`
      proxy.auth = { kind: 'bearer' }
      proxy.handler = (e) => {
        if (!e.req.url?.includes('/blobs/')) return e.forward()
        e.res.writeHead(307, { location: `${cdnUrl}${e.req.url}` }).end()
      }
      const result = await pullImage(`${proxy.host}/private/app:v1`, { store: await store(), dockerConfigDir: await dockerConfig({}) })
      expect(result.manifestDigest).toBe(image.manifest.digest)
      expect(cdnAuthorization).toEqual([undefined, undefined, undefined, undefined]) // config + 3 layers
    } finally {
      cdn.closeAllConnections()
      await new Promise<void>((resolve) => cdn.close(() => resolve()))
    }
  })

  it('Basic with credentials from config.json', async () => {
    proxy.auth = { kind: 'basic', credentials: alice }
    const config = await dockerConfig({ [proxy.host]: { auth: encoded(alice) } })
    const result = await pullImage(`${proxy.host}/private/app:v1`, { store: await store(), dockerConfigDir: config })
    expect(result.configDigest).toBe(image.config.digest)
    expect(proxy.tokenRequests).toHaveLength(0)
    const registryRequests = proxy.requests.filter((r) => r.url.startsWith('/v2/'))
    expect(registryRequests[0]!.headers.authorization).toBeUndefined() // anonymous first, as Docker
    for (const r of registryRequests.slice(1)) expect(r.headers.authorization).toBe(`Basic ${encoded(alice)}`)
  })

  it('Basic without credentials: an auth error, not a retry loop', async () => {
    proxy.auth = { kind: 'basic', credentials: alice }
    const pull = pullImage(`${proxy.host}/private/app:v1`, { store: await store(), dockerConfigDir: await dockerConfig({}) })
    await expect(pull).rejects.toThrow(RegistryAuthError)
    await expect(pull).rejects.toThrow(/manifest for 127\.0\.0\.1:\d+\/private\/app:v1: authentication required \(HTTP 401\)/)
    expect(proxy.requests).toHaveLength(1)
  })
})
