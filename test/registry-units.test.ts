/**
 * The registry client's pure parts, without a registry: challenges,
 * credentials, which hosts may use HTTP, Retry-After, manifest checks, and
 * the progress display.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatBytes } from '../src/cli/layer-lines.js'
import { PullProgressView } from '../src/cli/pull-progress.js'
import { mayUseHttp } from '../src/registry/client.js'
import { findCredentials } from '../src/registry/docker-config.js'
import { UnsupportedManifestError } from '../src/registry/errors.js'
import { parseManifest } from '../src/registry/manifest.js'
import type { LayerProgress } from '../src/registry/progress.js'
import { Backoff, isRetryableStatus, parseRetryAfter } from '../src/registry/retry.js'
import { parseWwwAuthenticate } from '../src/registry/www-authenticate.js'

describe('parseWwwAuthenticate', () => {
  it("parses Docker Hub's Bearer challenge", () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
      },
    ])
  })

  it('splits several challenges, keeps quoted commas and escapes, lowercases names', () => {
    expect(parseWwwAuthenticate('Basic realm="a, \\"b\\"", BEARER Realm=https://x/token , Scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'basic', params: { realm: 'a, "b"' } },
      { scheme: 'bearer', params: { realm: 'https://x/token', scope: 'repository:a/b:pull,push' } },
    ])
  })

  it('survives garbage', () => {
    expect(parseWwwAuthenticate('')).toEqual([])
    expect(parseWwwAuthenticate('=,"')).toEqual([])
  })
})

describe('findCredentials', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mini-run-dockercfg-'))
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
          'registry.example.com:5000': { auth: Buffer.from('bob:pa:ss').toString('base64') },
          'https://plain.example.com': { username: 'carol', password: 'pw' },
          'broken.example.com': { auth: Buffer.from('nocolon').toString('base64') },
        },
      }),
    )
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('finds Docker Hub under its legacy key', async () => {
    expect(await findCredentials('docker.io', dir)).toEqual({ username: 'hubuser', password: 'hubpass' })
  })
  it('decodes auth, keeping colons in the password', async () => {
    expect(await findCredentials('registry.example.com:5000', dir)).toEqual({ username: 'bob', password: 'pa:ss' })
    expect(await findCredentials('registry.example.com', dir)).toBeUndefined()
  })
  it('matches keys written as URLs, and username/password fields', async () => {
    expect(await findCredentials('plain.example.com', dir)).toEqual({ username: 'carol', password: 'pw' })
  })
  it('ignores malformed entries and missing files', async () => {
    expect(await findCredentials('broken.example.com', dir)).toBeUndefined()
    expect(await findCredentials('docker.io', join(dir, 'nope'))).toBeUndefined()
  })
})

describe('mayUseHttp', () => {
  it('allows loopback and listed registries only', () => {
    expect(mayUseHttp('localhost:5000', [])).toBe(true)
    expect(mayUseHttp('127.0.0.1:5000', [])).toBe(true)
    expect(mayUseHttp('127.3.2.1', [])).toBe(true)
    expect(mayUseHttp('[::1]:5000', [])).toBe(true)
    expect(mayUseHttp('registry-1.docker.io', [])).toBe(false)
    expect(mayUseHttp('10.0.0.5:5000', [])).toBe(false)
    expect(mayUseHttp('127.example.com', [])).toBe(false)
    expect(mayUseHttp('reg.lan:5000', ['reg.lan:5000'])).toBe(true)
    expect(mayUseHttp('reg.lan:5000', ['http://reg.lan'])).toBe(true)
    expect(mayUseHttp('reg.lan:5000', ['other.lan:5000'])).toBe(false)
  })
})

describe('retries', () => {
  it('retries 429 and 5xx but not 501 or 4xx', () => {
    expect([429, 500, 502, 503, 504, 408].every(isRetryableStatus)).toBe(true)
    expect([400, 401, 403, 404, 501].some(isRetryableStatus)).toBe(false)
  })
  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3')).toBe(3000)
    expect(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000)).toBe(5000)
    expect(parseRetryAfter('soon')).toBeUndefined()
  })
  it('backs off exponentially, capped, and counts attempts', () => {
    const b = new Backoff({ attempts: 3, baseDelayMs: 100, maxDelayMs: 150 })
    expect(b.canRetry).toBe(true)
    const first = b.nextDelay()
    expect(first).toBeGreaterThanOrEqual(50)
    expect(first).toBeLessThanOrEqual(100)
    expect(b.nextDelay()).toBeLessThanOrEqual(150)
    expect(b.canRetry).toBe(false)
    expect(b.nextDelay(10_000)).toBe(150) // Retry-After is capped too
  })
})

describe('parseManifest', () => {
  const digest = 'sha256:' + 'a'.repeat(64)
  const image = { schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 2 }, layers: [] }

  it('takes the media type from the document, else from Content-Type, else from its shape', () => {
    expect(parseManifest(Buffer.from(JSON.stringify(image)), undefined, 'm').mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
    expect(
      parseManifest(Buffer.from(JSON.stringify(image)), 'application/vnd.docker.distribution.manifest.v2+json', 'm').mediaType,
    ).toBe('application/vnd.docker.distribution.manifest.v2+json')
    expect(parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), undefined, 'm').parsed.kind).toBe('index')
  })

  it('refuses schema 1, by content type or by schemaVersion', () => {
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), 'application/json', 'm')).toThrow(/schema 1/)
    expect(() => parseManifest(Buffer.from('not json'), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'm')).toThrow(/schema 1/)
  })

  it('refuses descriptors whose digest or size could not be trusted', () => {
    const bad = (config: object) => () => parseManifest(Buffer.from(JSON.stringify({ ...image, config })), undefined, 'm')
    expect(bad({ ...image.config, digest: 'sha256:../../etc/passwd' })).toThrow(UnsupportedManifestError)
    expect(bad({ ...image.config, digest: 'sha512:' + 'a'.repeat(128) })).toThrow(/only sha256/)
    expect(bad({ ...image.config, size: -1 })).toThrow(/invalid size/)
    expect(bad({ ...image.config, size: 2 ** 60 })).toThrow(/invalid size/)
  })
})

describe('the progress display', () => {
  const layer = (n: number, status: LayerProgress['status'], received = 0): LayerProgress => ({
    digest: `sha256:${String(n).repeat(64)}`,
    size: 2_000_000,
    received,
    status,
  })

  function sink(isTTY: boolean): { stream: Writable & { isTTY: boolean; columns: number }; text: () => string } {
    let text = ''
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          text += chunk.toString()
          cb()
        },
      }),
      { isTTY, columns: 100 },
    )
    return { stream, text: () => text }
  }

  it('formats bytes as Docker does', () => {
    expect(formatBytes(512)).toBe('512B')
    expect(formatBytes(2_219_000)).toBe('2.22MB')
    expect(formatBytes(1_000_000_000)).toBe('1.00GB')
  })

  it('without a TTY, prints one line per layer when it is done', () => {
    const { stream, text } = sink(false)
    const view = new PullProgressView(stream)
    const layers = [layer(1, 'exists'), layer(2, 'waiting')]
    view.update({ type: 'resolved', name: 'x', manifestDigest: 'sha256:0', platform: 'linux/amd64', layers })
    layers[1]!.status = 'downloading'
    view.update({ type: 'layer', layer: layers[1]! })
    layers[1]!.received = 1_000_000
    view.update({ type: 'layer', layer: layers[1]! })
    layers[1]!.status = 'complete'
    view.update({ type: 'layer', layer: layers[1]! })
    view.finish()
    const lines = text().trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toBe('111111111111: Already exists')
    expect(lines[1]).toMatch(/^222222222222: Pull complete \(2\.00MB( in \d+\.\ds, .*\/s)?\)$/)
  })

  it('on a TTY, redraws the block of layer lines in place', () => {
    const { stream, text } = sink(true)
    const view = new PullProgressView(stream)
    const layers = [layer(1, 'downloading', 500_000), layer(2, 'waiting')]
    view.update({ type: 'resolved', name: 'x', manifestDigest: 'sha256:0', platform: 'linux/amd64', layers })
    layers[0]!.status = 'verified'
    view.update({ type: 'layer', layer: layers[0]! })
    view.finish()
    const out = text()
    expect(out).toContain('\x1b[2A') // back up over the two lines drawn before
    expect(out).toContain('111111111111: Downloading  [=========>')
    expect(out).toContain('500kB/2.00MB')
    expect(out).toContain('111111111111: Download complete')
    expect(out).toContain('222222222222: Waiting')
  })
})
