// Issue 13, bad input: property-based tests (fast-check) over what a
// registry sends. Manifests and indexes of any shape, media type and size,
// WWW-Authenticate headers, and whole pulls from a registry that lies
// (documents, digests, sizes, blobs that do not match): every input gets a
// result or a MiniRunError of one line, never another exception or a hang,
// and a pull writes nothing outside its store, and nothing of a failed
// image inside it.
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MiniRunError } from '../src/errors.js'
import { ImageStore } from '../src/image/store.js'
import { parseManifest } from '../src/registry/manifest.js'
import { pullImage } from '../src/registry/pull.js'
import { parseWwwAuthenticate } from '../src/registry/www-authenticate.js'
import { buildLayer, type BuiltLayer } from './helpers/registry-images.js'

const RUNS = Number(process.env.MINI_RUN_FUZZ_RUNS ?? 3000)
/** A manifest past the 4 MiB a document may have (valid JSON all the same). */
const OVERSIZED = Buffer.from(JSON.stringify({ schemaVersion: 2, pad: ' '.repeat(5 * 1024 * 1024) }))

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** Whatever it threw is a MiniRunError with a one-line message. */
function oneLineError(err: unknown): boolean {
  return err instanceof MiniRunError && err.message.length > 0 && !err.message.includes('\n')
}

const MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/octet-stream',
  'text/html',
]
const digestArb = fc.oneof(
  fc.stringMatching(/^sha256:[0-9a-f]{64}$/),
  fc.string(),
  fc.constantFrom('sha512:' + 'a'.repeat(128), 'sha256:../../etc/passwd', 'sha256:' + 'A'.repeat(64), ''),
)
const sizeArb = fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constantFrom(-1, 2 ** 53, Number.MAX_VALUE, '12'), fc.anything())
const descriptorArb = fc.oneof(
  fc.record({ mediaType: fc.oneof(fc.constantFrom(...MEDIA_TYPES), fc.string()), digest: digestArb, size: sizeArb }, { requiredKeys: [] }),
  fc.anything(),
)
const documentArb = fc.record(
  {
    schemaVersion: fc.oneof(fc.constant(2), fc.constant(1), fc.anything()),
    mediaType: fc.oneof(fc.constantFrom(...MEDIA_TYPES), fc.string(), fc.anything()),
    config: descriptorArb,
    layers: fc.oneof(fc.array(descriptorArb, { maxLength: 4 }), fc.anything()),
    manifests: fc.oneof(fc.array(descriptorArb, { maxLength: 4 }), fc.anything()),
  },
  { requiredKeys: [] },
)
const bytesArb = fc.oneof(
  documentArb.map((d) => Buffer.from(JSON.stringify(d))),
  fc.json().map((j) => Buffer.from(j)),
  fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
  fc.string().map((s) => Buffer.from(s)),
)

describe('registry documents (fast-check)', () => {
  it('parseManifest: a parsed document or one MiniRunError line, for any bytes and content type', () => {
    fc.assert(
      fc.property(bytesArb, fc.option(fc.oneof(fc.constantFrom(...MEDIA_TYPES), fc.string())), (bytes, contentType) => {
        try {
          const { parsed } = parseManifest(bytes, contentType ?? undefined, 'manifest for fuzz')
          // what it returns was checked: its descriptors hold sha256 digests and sizes
          const descriptors = parsed.kind === 'index' ? parsed.index.manifests : [parsed.manifest.config, ...parsed.manifest.layers]
          for (const d of descriptors) expect(d.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
        } catch (err) {
          if (!oneLineError(err)) throw err
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('parseWwwAuthenticate: challenges with lower-case schemes and string parameters, for any header', () => {
    const headerArb = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .array(
          fc.tuple(
            fc.constantFrom('Bearer', 'Basic', 'bearer', 'Negotiate', 'x'),
            fc.array(fc.tuple(fc.constantFrom('realm', 'service', 'scope', 'error', '__proto__', 'constructor'), fc.string(), fc.boolean()), { maxLength: 4 }),
          ),
          { maxLength: 3 },
        )
        .map((cs) => cs.map(([scheme, ps]) => `${scheme} ${ps.map(([k, v, q]) => `${k}=${q ? JSON.stringify(v) : v}`).join(',')}`).join(', ')),
    )
    fc.assert(
      fc.property(headerArb, (header) => {
        for (const c of parseWwwAuthenticate(header)) {
          expect(c.scheme).toBe(c.scheme.toLowerCase())
          for (const v of Object.values(c.params)) expect(typeof v).toBe('string')
        }
      }),
      { numRuns: RUNS },
    )
  })
})

describe('pulls from a registry that lies (fast-check)', () => {
  let server: http.Server
  let host: string
  let sandbox: string
  let layer: BuiltLayer
  /** What the registry serves now: set by each case. */
  let serving: { manifest: Buffer; contentType: string; blobs: Map<string, Buffer> } = { manifest: Buffer.alloc(0), contentType: '', blobs: new Map() }

  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'mini-run-fuzz-pull-'))
    layer = await buildLayer({ 'etc/hello': 'hello\n', 'bin/tool': 'x'.repeat(2000) })
    server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path === '/v2/') return void res.writeHead(200).end('{}')
      if (path.startsWith('/v2/fuzz/img/manifests/')) {
        return void res.writeHead(200, { 'content-type': serving.contentType, 'content-length': serving.manifest.length }).end(serving.manifest)
      }
      const blob = /^\/v2\/fuzz\/img\/blobs\/(.+)$/.exec(path)?.[1]
      const bytes = blob !== undefined ? serving.blobs.get(decodeURIComponent(blob)) : undefined
      if (bytes) return void res.writeHead(200, { 'content-length': bytes.length }).end(bytes)
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    if (sandbox) rmSync(sandbox, { recursive: true, force: true })
  })

  it('every pull ends with an image or one MiniRunError line; nothing is written outside the store, nothing of a failed image in it', async () => {
    // mostly the truth, so that pulls get as far as the unpack, with a lie here and there
    const mostly = <T,>(truth: T, lie: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(truth), weight: 4 }, { arbitrary: lie, weight: 1 })
    const configArb = fc.record(
      {
        architecture: mostly<unknown>('amd64', fc.anything()),
        os: mostly<unknown>('linux', fc.anything()),
        rootfs: mostly<unknown>(
          { type: 'layers', diff_ids: [layer.diffId] },
          fc.oneof(fc.record({ type: fc.string(), diff_ids: fc.array(fc.oneof(fc.constant(layer.diffId), digestArb), { maxLength: 3 }) }), fc.anything()),
        ),
        config: fc.oneof(fc.constant({ Cmd: ['sh'] }), fc.anything()),
      },
      { requiredKeys: ['architecture', 'os', 'rootfs'] },
    )
    const layerBytesArb = fc.oneof(
      { arbitrary: fc.constant(layer.bytes), weight: 4 },
      fc.nat({ max: layer.bytes.length }).map((n) => layer.bytes.subarray(0, n)),
      fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.concat([layer.bytes, Buffer.from(a)])),
    )
    const caseArb = fc.record({
      config: fc.oneof({ arbitrary: configArb.map((c) => Buffer.from(JSON.stringify(c))), weight: 6 }, bytesArb),
      layerBytes: layerBytesArb,
      // whether the manifest tells the truth about each blob
      configDigestTrue: mostly(true, fc.constant(false)),
      // a size that lies a little, or names a document far over the limit
      configSizeDelta: mostly(0, fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(64 * 1024 * 1024))),
      layerDigestTrue: mostly(true, fc.constant(false)),
      layerSizeDelta: mostly(0, fc.integer({ min: -5, max: 5 })),
      layerMediaType: mostly('application/vnd.oci.image.layer.v1.tar+gzip', fc.oneof(fc.constantFrom(...MEDIA_TYPES), fc.string())),
      configMediaType: mostly('application/vnd.oci.image.config.v1+json', fc.constantFrom(...MEDIA_TYPES)),
      manifest: mostly<Buffer | undefined>(undefined, fc.oneof({ arbitrary: bytesArb, weight: 9 }, fc.constant(OVERSIZED))),
      contentType: mostly('application/vnd.oci.image.manifest.v1+json', fc.oneof(fc.constantFrom(...MEDIA_TYPES), fc.string())),
    })
    let n = 0
    const outcomes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const storeRoot = join(sandbox, `store-${n++}`)
        const configDesc = { mediaType: c.configMediaType, digest: c.configDigestTrue ? sha256(c.config) : sha256(Buffer.from('other')), size: c.config.length + c.configSizeDelta }
        const layerDesc = { mediaType: c.layerMediaType, digest: c.layerDigestTrue ? sha256(c.layerBytes) : layer.digest, size: c.layerBytes.length + c.layerSizeDelta }
        const manifest = c.manifest ?? Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: [layerDesc] }))
        serving = { manifest, contentType: c.contentType, blobs: new Map([[configDesc.digest, c.config], [layerDesc.digest, c.layerBytes]]) }
        const store = new ImageStore({ root: storeRoot, rootless: true })
        let ok = false
        try {
          await pullImage(`${host}/fuzz/img:1`, { store, retry: { attempts: 1 }, idleTimeoutMs: 5000 })
          ok = true
        } catch (err) {
          if (!oneLineError(err)) throw err
          outcomes.set((err as MiniRunError).code, (outcomes.get((err as MiniRunError).code) ?? 0) + 1)
        }
        if (ok) outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1)
        // nothing beside the stores in the sandbox, nothing half-written in this one
        expect(readdirSync(sandbox).every((e) => e.startsWith('store-'))).toBe(true)
        const entries = (dir: string) => (existsSync(join(storeRoot, dir)) ? readdirSync(join(storeRoot, dir)) : [])
        expect(entries('tmp')).toEqual([])
        if (!ok) expect(entries('refs')).toEqual([])
        rmSync(storeRoot, { recursive: true, force: true })
      }),
      { numRuns: Math.max(100, Math.floor(RUNS / 6)) },
    )
    // the lies are mixed with the truth: some pulls get through, some fail in the unpack
    expect(outcomes.get('ok')).toBeGreaterThan(0)
    expect(outcomes.get('EBADLAYER')).toBeGreaterThan(0)
  }, 300_000)
})
