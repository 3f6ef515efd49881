// Issue 13, concurrency: mini-run processes sharing one store and state at
// once. Two pulls of one image download each blob once and both succeed; a
// prune during a pull spares what the pull uses; rmi refuses an image that
// containers use; names have one owner, and a name left by a killed start is
// free again; parallel rm -f of one container succeed or say it is gone.
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { MiniRunError } from '../src/errors.js'
import { loadArchive } from '../src/image/load-archive.js'
import { refFileName } from '../src/image/refs.js'
import { ImageStore } from '../src/image/store.js'
import { miniRunAsync, type CliResult } from './helpers/cli.js'
import { pushRunnable, randomLayer, until, type PushedImage } from './helpers/reliability.js'
import { registryUnavailable, startProxy, startRegistry, type RegistryProxy, type RegistryServer } from './helpers/registry-server.js'
import { BUSYBOX, BUSYBOX_OCI, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const unavailable = registryUnavailable()

describe.skipIf(!isRoot || unavailable !== undefined)(`concurrent pulls and prunes (needs root and docker-registry${unavailable ? `: ${unavailable}` : ''})`, () => {
  let env: TestEnv
  let registry: RegistryServer
  let proxy: RegistryProxy
  let big: PushedImage
  let base: PushedImage
  let onTop: PushedImage
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
    registry = await startRegistry()
    proxy = await startProxy(registry)
    big = await pushRunnable(registry.url, proxy.host, 'rel/big', '1', [randomLayer('r1', 1_500_000), randomLayer('r2', 1_500_000)], env.dir)
    base = await pushRunnable(registry.url, proxy.host, 'rel/base', '1', [], env.dir)
    onTop = await pushRunnable(registry.url, proxy.host, 'rel/top', '1', [randomLayer('slow', 1_000_000)], env.dir)
  }, 120_000)
  afterEach(() => {
    proxy.reset()
    expect(env.leftovers()).toEqual([])
  })
  afterAll(async () => {
    await proxy?.stop()
    await registry?.stop()
    env?.cleanup()
  })

  const globals = (store: string) => ['--root', join(env.dir, store), '--state', env.stateRoot]
  const blobGets = (digest: string) => proxy.requests.filter((r) => r.method === 'GET' && r.url.endsWith(`/blobs/${digest}`)).length
  /** Slow every big blob down, so that two commands overlap. */
  const throttle = (bytesPerSecond: number) => {
    proxy.handler = (e) => e.forward(e.req.url?.includes('/blobs/') ? { bytesPerSecond } : {})
  }

  it('two pulls of one image at once: both succeed, each blob is downloaded once', async () => {
    throttle(3_000_000)
    const a = miniRunAsync([...globals('s1'), 'pull', '-q', big.ref])
    const b = miniRunAsync([...globals('s1'), 'pull', '-q', big.ref])
    const [ra, rb] = (await Promise.all([a.done, b.done])) as [CliResult, CliResult]
    expect([ra.status, ra.stderr, rb.status, rb.stderr]).toEqual([0, '', 0, ''])
    for (const digest of big.layerDigests) expect({ digest, gets: blobGets(digest) }).toEqual({ digest, gets: 1 })
    const run = env.run([...globals('s1'), 'run', '--rm', '--cgroup-parent', env.cgroupParent, big.ref, 'sh', '-c', 'ls /r1 /r2'])
    expect(run.stdout).toBe('/r1\n/r2\n')
    expect(env.run([...globals('s1'), 'system', 'check']).status).toBe(0)
  }, 60_000)

  it('a prune during a pull spares the layers the pull found stored and relies on', async () => {
    // the store holds busybox's layer, named by nothing: prune would take it
    expect((await miniRunAsync([...globals('s2'), 'pull', '-q', base.ref]).done).status).toBe(0)
    rmSync(join(env.dir, 's2', 'refs', refFileName(base.ref)))
    // a pull of an image on top of it finds that layer, and downloads the other slowly
    throttle(200_000)
    const pull = miniRunAsync([...globals('s2'), 'pull', '-q', onTop.ref])
    await until('the slow layer to be downloading', () => blobGets(onTop.layerDigests[1]!) === 1)
    const prune = env.run([...globals('s2'), 'image', 'prune', '-f'])
    expect(prune.status).toBe(0)
    const r = await pull.done
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const run = env.run([...globals('s2'), 'run', '--rm', '--cgroup-parent', env.cgroupParent, onTop.ref, 'sh', '-c', 'ls /slow'])
    expect(run.stdout).toBe('/slow\n')
    // once named, the next prune leaves it too; an unnamed one it takes
    expect(env.run([...globals('s2'), 'image', 'prune', '-f']).status).toBe(0)
    expect(env.run([...globals('s2'), 'images', '-q']).stdout.trim().split('\n')).toHaveLength(1)
  }, 60_000)
})

describe.skipIf(!isRoot)('rmi, names and rm -f with several commands at once (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  // one test removes the image: each starts with it
  beforeEach(() => loadArchive(new ImageStore({ root: env.storeRoot }), BUSYBOX_OCI, { name: BUSYBOX }))
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  const detached = (args: string[]) => env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, ...args])

  it('rmi of an image a running container uses is refused; rmi -f untags it and it stays as <none> (Docker\'s quiet hard conflict)', () => {
    const id = detached([BUSYBOX, 'sleep', '30']).stdout.trim()
    const imageId = env.run(['image', 'inspect', '-f', '{{.Id}}', BUSYBOX]).stdout.trim()
    expect(env.run(['ps', '--format', '{{.Image}}']).stdout).toBe(`${BUSYBOX}\n`)
    const refused = env.run(['rmi', BUSYBOX])
    expect(refused.stderr).toMatch(new RegExp(`^mini-run: conflict: unable to remove repository reference "localhost/test/busybox:latest" \\(must force\\) - container ${id.slice(0, 12)} is using its referenced image [0-9a-f]{12}\n$`))
    expect(refused.status).toBe(1)
    expect(env.run(['images', '-q']).stdout).not.toBe('')
    // untagged, nothing deleted: the image is listed by its id alone
    expect(env.run(['rmi', '-f', BUSYBOX])).toMatchObject({ status: 0, stdout: 'Untagged: localhost/test/busybox:latest\n', stderr: '' })
    expect(env.run(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).stdout).toBe(`<none>:<none> ${imageId.slice(7, 19)}\n`)
    expect(env.run(['image', 'inspect', '-f', '{{.Id}}', imageId.slice(7, 19)]).stdout).toBe(`${imageId}\n`)
    // its name designates nothing now: ps shows the image's id, as Docker's
    expect(env.run(['ps', '--format', '{{.Image}}']).stdout).toBe(`${imageId.slice(7, 19)}\n`)
    expect(env.run(['ps', '--no-trunc', '--format', '{{.Image}}']).stdout).toBe(`${imageId}\n`)
    expect(env.run(['ps']).stdout.split('\n')[1]).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+${imageId.slice(7, 19)}\\s+"sleep 30"`))
    // by id, even forced: a hard conflict, said in Docker's words
    for (const args of [['rmi', imageId.slice(7, 19)], ['rmi', '-f', imageId]]) {
      expect(env.run(args)).toMatchObject({ status: 1, stdout: '', stderr: `mini-run: conflict: unable to delete ${imageId.slice(7, 19)} (cannot be forced) - image is being used by running container ${id.slice(0, 12)}\n` })
    }
    // the container runs on, and runs again after a stop
    expect(env.run(['exec', id, 'cat', '/etc/hostname']).status).toBe(0)
    expect(env.run(['stop', '-t', '1', id]).status).toBe(0)
    expect(env.run(['start', id]).status).toBe(0)
    expect(env.run(['exec', id, 'true']).status).toBe(0)
    expect(env.run(['rm', '-f', id]).status).toBe(0)
    // with no container left, the untagged image goes as any other
    expect(env.run(['rmi', imageId.slice(7, 19)]).stdout).toMatch(/^Deleted: sha256:/)
    expect(env.run(['images', '-q']).stdout).toBe('')
    expect(readdirSync(join(env.storeRoot, 'layers'))).toHaveLength(0)
  })

  it('rmi of an image a stopped container uses: refused by id unless -f; -f deletes it and the container\'s layers stay, so it starts', () => {
    const id = env.run(['create', BUSYBOX, 'cat', '/etc/hostname']).stdout.trim()
    const imageId = env.run(['image', 'inspect', '-f', '{{.Id}}', BUSYBOX]).stdout.trim()
    expect(env.run(['rmi', imageId.slice(7, 19)])).toMatchObject({
      status: 1,
      stderr: `mini-run: conflict: unable to delete ${imageId.slice(7, 19)} (must be forced) - image is being used by stopped container ${id.slice(0, 12)}\n`,
    })
    const forced = env.run(['rmi', '-f', BUSYBOX])
    expect(forced.stdout.split('\n')[0]).toBe('Untagged: localhost/test/busybox:latest')
    expect(forced.stdout).toContain(`Deleted: ${imageId}\n`)
    expect(env.run(['images', '-aq']).stdout).toBe('')
    expect(readdirSync(join(env.storeRoot, 'layers'))).toHaveLength(1)
    expect(env.run(['start', '-a', id]).stdout).toBe(`${id.slice(0, 12)}\n`)
    expect(env.run(['rm', id]).status).toBe(0)
    expect(env.run(['image', 'prune', '-f']).status).toBe(0)
    expect(readdirSync(join(env.storeRoot, 'layers'))).toHaveLength(0)
  })

  it('ps shows the image id once the name a container was made from is untagged, the name while it names the image', () => {
    const other = 'localhost/test/other:1'
    expect(env.run(['tag', BUSYBOX, other]).status).toBe(0)
    const imageId = env.run(['image', 'inspect', '-f', '{{.Id}}', BUSYBOX]).stdout.trim()
    const id = env.run(['create', BUSYBOX, 'true']).stdout.trim()
    const byId = env.run(['create', imageId.slice(7, 19), 'true']).stdout.trim()
    const images = () => env.run(['ps', '-a', '--format', '{{.ID}} {{.Image}}']).stdout.trim().split('\n').sort()
    try {
      expect(images()).toEqual([`${byId.slice(0, 12)} ${imageId.slice(7, 19)}`, `${id.slice(0, 12)} ${BUSYBOX}`].sort())
      // untagged while the other name keeps the image: no container's refusal, as in Docker
      expect(env.run(['rmi', BUSYBOX]).stdout).toBe(`Untagged: ${BUSYBOX}\n`)
      expect(images()).toEqual([`${byId.slice(0, 12)} ${imageId.slice(7, 19)}`, `${id.slice(0, 12)} ${imageId.slice(7, 19)}`].sort())
      // the name back on the image: shown again
      expect(env.run(['tag', other, BUSYBOX]).status).toBe(0)
      expect(images()).toContain(`${id.slice(0, 12)} ${BUSYBOX}`)
    } finally {
      env.run(['rm', '-f', id, byId])
      env.run(['rmi', other])
    }
  })

  it('an rmi between a run\'s image lookup and its container record: the run fails with one line and leaves nothing', async () => {
    const { prepareContainer } = await import('../src/runtime/container/prepare.js')
    const { runPrepared } = await import('../src/runtime/container/run-foreground.js')
    const store = new ImageStore({ root: env.storeRoot })
    const prepared = await prepareContainer({
      image: BUSYBOX,
      command: ['true'],
      storeRoot: env.storeRoot,
      stateRoot: env.stateRoot,
      cgroupParent: env.cgroupParent,
      resolveImage: (ref) => store.resolve(ref),
    })
    // the image goes before the container is recorded: nothing holds its layers yet
    expect(env.run(['rmi', BUSYBOX]).status).toBe(0)
    const failed = await runPrepared(prepared, { stdio: [0, 1, 2] }, { remove: true }).then(
      () => undefined,
      (err: unknown) => err as MiniRunError,
    )
    expect(failed?.code).toBe('EINCOMPLETE')
    expect(failed?.message).toMatch(/^image localhost\/test\/busybox:latest: layer sha256:[0-9a-f]{64} was removed from the store while the container was being created; pull it again$/)
  })

  it('three run -d --name at once: one wins, the others are told the name is in use and leave nothing', async () => {
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const runs = [1, 2, 3].map(() => miniRunAsync([...globals, 'run', '-d', '--name', 'contested', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '30']))
    const results = await Promise.all(runs.map((r) => r.done))
    expect(results.filter((r) => r.status === 0)).toHaveLength(1)
    for (const r of results.filter((x) => x.status !== 0)) {
      expect(r.stderr).toMatch(/^mini-run: Conflict\. The container name "\/contested" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/)
    }
    expect(env.run(['ps', '-q']).stdout.trim().split('\n')).toHaveLength(1)
    expect(env.run(['rm', '-f', 'contested']).status).toBe(0)
  })

  it('a name left by a start killed before it wrote its state is free again', () => {
    // what a kill between linking the name and writing the state leaves
    mkdirSync(join(env.stateRoot, 'names'), { recursive: true, mode: 0o700 })
    symlinkSync('f'.repeat(64), join(env.stateRoot, 'names', 'orphaned'))
    const r = detached(['--name', 'orphaned', BUSYBOX, 'true'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(env.run(['rm', '-f', 'orphaned']).status).toBe(0)
  })

  it('rm -f of one container from five commands at once: each removes it or says it is gone', async () => {
    const id = detached([BUSYBOX, 'sleep', '30']).stdout.trim()
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => miniRunAsync([...globals, 'rm', '-f', id]).done))
    expect(results.filter((r) => r.status === 0 && r.stdout === `${id}\n`).length).toBeGreaterThanOrEqual(1)
    for (const r of results.filter((x) => x.status !== 0)) expect(r.stderr).toMatch(/^mini-run: no such container: [0-9a-f]{12}/)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })
})
