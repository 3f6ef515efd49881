/**
 * Pushing to a real registry (Debian's docker-registry on 127.0.0.1), then
 * pulling into an empty store: the same image id, and the same manifest
 * digest, since the store keeps each layer's blob as it came. Through the
 * recording proxy: a second push only asks (HEAD), a push to another
 * repository mounts, big blobs go in PATCH chunks, and credentials stored
 * by `mini-run login` work for Basic and Bearer until `logout`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { pullImage } from '../src/registry/pull.js'
import { pushImage } from '../src/registry/push.js'
import { miniRun, miniRunAsync, type CliResult } from './helpers/cli.js'
import { registryUnavailable, startProxy, startRegistry, type RegistryProxy, type RegistryServer } from './helpers/registry-server.js'
import { BUSYBOX_OCI, FIXTURES } from './helpers/test-env.js'
import { loadArchive } from '../src/image/load-archive.js'

const unavailable = registryUnavailable()
const TWO_LAYERS_OCI = join(FIXTURES, 'test-images-oci')
const alice = { username: 'alice', password: 's3cret:with:colons' }

describe.skipIf(unavailable)(`push to a local registry${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let proxy: RegistryProxy
  let work: string
  let source: ImageStore
  let busybox: { configDigest: string; manifestDigest: string }
  let layers: { configDigest: string; manifestDigest: string }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mini-run-push-'))
    registry = await startRegistry()
    proxy = await startProxy(registry)
    source = new ImageStore({ root: join(work, 'source') })
    const [bb] = await loadArchive(source, BUSYBOX_OCI, { name: 'localhost/mini/busybox:latest' })
    const [two] = await loadArchive(source, TWO_LAYERS_OCI, { name: 'localhost/mini/layers:latest' })
    busybox = bb!
    layers = two!
  })

  afterEach(() => proxy.reset())

  afterAll(async () => {
    await proxy?.stop()
    await registry?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  async function freshStore(): Promise<ImageStore> {
    return new ImageStore({ root: await mkdtemp(join(work, 'store-')) })
  }

  /** Requests that carried blob bytes: the upload PUTs with a body, and PATCH chunks. */
  function uploads(): string[] {
    return proxy.requests
      .filter((r) => (r.method === 'PUT' && r.url.includes('/blobs/uploads/') && r.headers['content-length'] !== '0') || r.method === 'PATCH')
      .map((r) => `${r.method} ${r.url}`)
  }

  it('mini-run push, then a pull into an empty store: the same image id and manifest; skopeo inspects it', async () => {
    for (const [local, remote, image] of [
      ['localhost/mini/busybox:latest', `${registry.host}/mini/busybox:1`, busybox],
      ['localhost/mini/layers:latest', `${registry.host}/mini/layers:1`, layers],
    ] as const) {
      await source.tag(local, remote)
      const r = miniRun(['--root', source.root, 'push', remote])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      const lines = r.stdout.trim().split('\n')
      expect(lines[0]).toBe(`The push refers to repository [${remote.replace(/:1$/, '')}]`)
      const manifest = JSON.parse((await source.getBlob(image.manifestDigest)).toString()) as { layers: { digest: string }[] }
      for (const layer of manifest.layers) expect(lines).toContain(`${layer.digest.slice(7, 19)}: Pushed`)
      const size = (await source.getBlob(image.manifestDigest)).length
      expect(lines.at(-1)).toBe(`1: digest: ${image.manifestDigest} size: ${size}`)

      const empty = await freshStore()
      const pulled = await pullImage(remote, { store: empty })
      expect(pulled.configDigest).toBe(image.configDigest)
      expect(pulled.manifestDigest).toBe(image.manifestDigest)

      const inspected = JSON.parse(
        execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${remote}`], { encoding: 'utf8' }),
      ) as { Digest: string; Layers: string[] }
      expect(inspected.Digest).toBe(image.manifestDigest)
      expect(inspected.Layers).toEqual(manifest.layers.map((l) => l.digest))
    }
  })

  it('RepoDigests: a tag gets its repository\'s digest once pushed, and a pull into another store has it', async () => {
    const remote = `${registry.host}/mini/digests:1`
    const repo = `${registry.host}/mini/digests`
    await source.tag('localhost/mini/layers:latest', remote)
    const digests = (root: string) =>
      JSON.parse(miniRun(['--root', root, 'image', 'inspect', '-f', '{{json .RepoDigests}}', remote]).stdout) as string[]
    // the image's other repositories (its loaded name, earlier tests' pushes) keep theirs
    const before = digests(source.root)
    expect(before).toContain(`localhost/mini/layers@${layers.manifestDigest}`)
    expect(before).not.toContain(`${repo}@${layers.manifestDigest}`)
    expect(miniRun(['--root', source.root, 'push', remote]).status).toBe(0)
    expect(digests(source.root)).toEqual([...before, `${repo}@${layers.manifestDigest}`].sort())
    const empty = await freshStore()
    expect(miniRun(['--root', empty.root, 'pull', remote]).status).toBe(0)
    expect(digests(empty.root)).toEqual([`${repo}@${layers.manifestDigest}`])
  })

  it('pushing again only asks (HEAD) and sends no blob; the manifest comes last', async () => {
    const remote = `${proxy.host}/mini/again:1`
    await source.tag('localhost/mini/layers:latest', remote)
    const first = await pushImage(remote, { store: source })
    expect(first.layers.map((l) => l.status)).toEqual(['pushed', 'pushed'])
    const firstRequests = proxy.requests.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname}`)
    expect(firstRequests.at(-1)).toBe('PUT /v2/mini/again/manifests/1')
    expect(firstRequests.filter((r) => r.startsWith('PUT /v2/mini/again/manifests/'))).toHaveLength(1)

    proxy.reset()
    const second = await pushImage(remote, { store: source })
    expect(second.manifestDigest).toBe(layers.manifestDigest)
    expect(second.layers.map((l) => l.status)).toEqual(['exists', 'exists'])
    expect(uploads()).toEqual([])
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([])
    const heads = proxy.requests.filter((r) => r.method === 'HEAD').map((r) => r.url)
    expect(heads).toHaveLength(3) // two layers and the config
    expect(proxy.requests.at(-1)).toMatchObject({ method: 'PUT', url: '/v2/mini/again/manifests/1' })
  })

  it('mounts blobs from another repository of the registry: after a push, and after a pull', async () => {
    const first = `${proxy.host}/mini/mount-a:1`
    await source.tag('localhost/mini/busybox:latest', first)
    await pushImage(first, { store: source })

    proxy.reset()
    const second = `${proxy.host}/mini/mount-b:1`
    await source.tag('localhost/mini/busybox:latest', second)
    const result = await pushImage(second, { store: source })
    expect(result.layers).toEqual([expect.objectContaining({ status: 'mounted', mountedFrom: 'mini/mount-a' })])
    const mounts = proxy.requests.filter((r) => r.method === 'POST' && r.url.includes('mount='))
    expect(mounts).toHaveLength(2) // the layer, then the config
    for (const m of mounts) expect(new URL(m.url, 'http://x').searchParams.get('from')).toBe('mini/mount-a')
    expect(uploads()).toEqual([])
    expect((await pullImage(second, { store: await freshStore() })).configDigest).toBe(busybox.configDigest)

    // a store that pulled from mount-a knows where the blobs are
    const puller = await freshStore()
    await pullImage(first, { store: puller })
    proxy.reset()
    const third = `${proxy.host}/mini/mount-c:1`
    await puller.tag(first, third)
    const fromPull = await pushImage(third, { store: puller })
    expect(fromPull.layers.map((l) => l.status)).toEqual(['mounted'])
    expect(uploads()).toEqual([])
  })

  it('sends blobs bigger than monolithicMax in PATCH chunks with Content-Range', async () => {
    const remote = `${proxy.host}/mini/chunked:1`
    const store = await freshStore() // knows of no repository to mount from
    await loadArchive(store, TWO_LAYERS_OCI, { name: remote })
    const sent: number[] = [] // layer events carry the same object each time: record the bytes as they were
    const result = await pushImage(remote, {
      store,
      monolithicMax: 100,
      chunkSize: 64,
      progress: (e) => {
        if (e.type === 'layer' && e.layer.status === 'pushing') sent.push(e.layer.sent)
      },
    })
    // per upload session, chunks of at most 64 bytes that follow each other from byte 0 to the blob's last
    const bySession = new Map<string, Array<[number, number]>>()
    for (const p of proxy.requests.filter((r) => r.method === 'PATCH')) {
      const session = new URL(p.url, 'http://x').pathname
      const [start, end] = String(p.headers['content-range']).split('-').map(Number) as [number, number]
      bySession.set(session, [...(bySession.get(session) ?? []), [start, end]])
    }
    const totals: number[] = []
    for (const chunks of bySession.values()) {
      let next = 0
      for (const [start, end] of chunks) {
        expect(start).toBe(next)
        expect(end - start + 1).toBeLessThanOrEqual(64)
        next = end + 1
      }
      totals.push(next)
    }
    const configSize = (await store.getBlob(result.configDigest)).length
    expect(totals.sort((a, b) => a - b)).toEqual([...result.layers.map((l) => l.size), configSize].sort((a, b) => a - b))
    expect(sent).toContain(64)
    expect(sent).toContain(128)
    const lastPut = proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'))
    for (const put of lastPut) expect(put.headers['content-length']).toBe('0')
    expect((await pullImage(remote, { store: await freshStore() })).configDigest).toBe(layers.configDigest)
  })

  it('a layer stored without its blob (an older store) is refused by name; pulling again brings the blob back', async () => {
    const store = await freshStore()
    const remote = `${registry.host}/mini/busybox:1`
    await pullImage(remote, { store })
    const image = await store.resolve(remote)
    await unlink(store.layerBlobPath(image.chainIds[0]!))
    await store.tag(remote, `${registry.host}/mini/old:1`)
    const refused = pushImage(`${registry.host}/mini/old:1`, { store })
    await expect(refused).rejects.toMatchObject({ code: 'ENOLAYERBLOB' })
    await expect(refused).rejects.toThrow(image.chainIds[0]!)

    const again = await pullImage(remote, { store })
    expect(again.layers.map((l) => l.existed)).toEqual([false])
    expect(existsSync(store.layerBlobPath(image.chainIds[0]!))).toBe(true)
    const pushed = await pushImage(`${registry.host}/mini/old:1`, { store })
    expect(pushed.manifestDigest).toBe(busybox.manifestDigest)
  })

  it('a manifest naming another compression of a layer the store holds: a new manifest, the same image id', async () => {
    const layer = [{ path: 'shared.txt', type: 'file' as const, content: 'same content, two compressions\n' }]
    const gz = await writeOciLayout(join(work, 'gz'), { name: 'localhost/mini/gz:1', layers: [layer] })
    const plain = await writeOciLayout(join(work, 'plain'), { name: 'localhost/mini/plain:1', layers: [layer], compression: 'none' })
    expect(plain.diffIds).toEqual(gz.diffIds)
    const store = await freshStore()
    await loadArchive(store, join(work, 'gz'))
    await loadArchive(store, join(work, 'plain')) // its layer is there already, with the gzip blob
    await store.tag('localhost/mini/plain:1', `${registry.host}/mini/plain:1`)
    const result = await pushImage(`${registry.host}/mini/plain:1`, { store })
    expect(result.rewritten).toBe(true)
    expect(result.manifestDigest).not.toBe(plain.manifestDigest)
    expect(result.configDigest).toBe(plain.configDigest)
    const pulled = await pullImage(`${registry.host}/mini/plain:1`, { store: await freshStore() })
    expect(pulled.configDigest).toBe(plain.configDigest)
    expect(pulled.layers.map((l) => l.digest)).toEqual(gz.layers.map((l) => l.digest))
    const sent = JSON.parse((await store.getBlob(result.manifestDigest)).toString()) as { mediaType: string }
    expect(sent.mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
  })

  it('refuses a digest reference and an image that is not in the store, naming them', async () => {
    const noTag = pushImage(`${registry.host}/mini/x@sha256:${'a'.repeat(64)}`, { store: source })
    await expect(noTag).rejects.toThrow(/cannot push a digest reference/)
    const missing = miniRun(['--root', source.root, 'push', `${registry.host}/mini/absent:1`])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toBe(`mini-run: an image does not exist locally with the tag: ${registry.host}/mini/absent:1\n`)
  })

  describe('with credentials from mini-run login', () => {
    let dockerConfig: string
    /** The CLI, without blocking this process: the proxy answering it runs here. */
    const cli = async (args: string[], input?: string): Promise<CliResult> => {
      const { child, done } = miniRunAsync(['--root', source.root, ...args], {
        env: { ...process.env, DOCKER_CONFIG: dockerConfig },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      child.stdin?.end(input ?? '')
      return done
    }

    beforeAll(async () => {
      dockerConfig = await mkdtemp(join(work, 'docker-'))
    })

    it('login refuses wrong credentials and stores nothing', async () => {
      proxy.auth = { kind: 'basic', credentials: alice }
      const r = await cli(['login', '-u', 'alice', '--password-stdin', proxy.host], 'wrong\n')
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/login to 127\.0\.0\.1:\d+ failed: the credentials of alice were refused/)
      expect(existsSync(join(dockerConfig, 'config.json'))).toBe(false)
    })

    for (const kind of ['basic', 'bearer'] as const) {
      it(`push with ${kind} auth, then logout`, async () => {
        proxy.auth = { kind, credentials: alice }
        const login = await cli(['login', '-u', alice.username, '--password-stdin', proxy.host], `${alice.password}\n`)
        expect(login.stderr).toContain('WARNING! Your password will be stored unencrypted')
        expect(login.stdout).toBe('Login Succeeded\n')
        expect(login.status).toBe(0)
        const file = join(dockerConfig, 'config.json')
        expect(statSync(file).mode & 0o777).toBe(0o600)
        const stored = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }> }
        expect(Buffer.from(stored.auths[proxy.host]!.auth, 'base64').toString()).toBe(`${alice.username}:${alice.password}`)

        const remote = `${proxy.host}/private/${kind}:1`
        await source.tag('localhost/mini/busybox:latest', remote)
        const push = await cli(['push', remote])
        expect(push.stderr).toBe('')
        expect(push.status).toBe(0)
        if (kind === 'bearer') {
          const scopes = proxy.tokenRequests.flatMap((r) => new URL(r.url, 'http://x').searchParams.getAll('scope'))
          expect(scopes).toContain(`repository:private/${kind}:pull,push`)
          for (const r of proxy.tokenRequests) expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString('base64')}`)
        }
        const pulled = await pullImage(remote, { store: await freshStore(), dockerConfigDir: dockerConfig })
        expect(pulled.configDigest).toBe(busybox.configDigest)

        const logout = await cli(['logout', proxy.host])
        expect(logout.stdout).toBe(`Removing login credentials for ${proxy.host}\n`)
        const after = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, unknown> }
        expect(after.auths[proxy.host]).toBeUndefined()
        const denied = await cli(['push', `${proxy.host}/private/${kind}-denied:1`])
        expect(denied.status).toBe(1)
        expect((await cli(['logout', proxy.host])).stdout).toBe(`Not logged in to ${proxy.host}\n`)
      })
    }

    it('a Bearer mount asks for pull on the source repository in the same token', async () => {
      proxy.auth = { kind: 'bearer', credentials: alice }
      expect((await cli(['login', '-u', alice.username, '--password-stdin', proxy.host], alice.password)).status).toBe(0)
      await source.tag('localhost/mini/layers:latest', `${proxy.host}/private/src:1`)
      expect((await cli(['push', `${proxy.host}/private/src:1`])).status).toBe(0)
      proxy.tokenRequests.length = 0
      await source.tag('localhost/mini/layers:latest', `${proxy.host}/private/dst:1`)
      const r = await cli(['push', `${proxy.host}/private/dst:1`])
      expect(r.status).toBe(0)
      expect(r.stdout).toContain('Mounted from private/src')
      const scopes = proxy.tokenRequests.map((t) => new URL(t.url, 'http://x').searchParams.getAll('scope'))
      expect(scopes).toContainEqual(expect.arrayContaining(['repository:private/dst:pull,push', 'repository:private/src:pull']))
    })
  })
})
