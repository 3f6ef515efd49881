/**
 * `build --push`, `--load`, `--metadata-file`, `--provenance` and `--sbom`,
 * and `buildx build`, as CI scripts written for Docker's builder (buildx)
 * pass them: the image is built, stored and pushed to a real registry
 * (Debian's docker-registry on 127.0.0.1) under each -t name, and the
 * metadata file holds the digest the registry serves.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { miniRun } from './helpers/cli.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'
import { BUSYBOX_OCI } from './helpers/test-env.js'

const unavailable = registryUnavailable()
const BASE = 'localhost/test/busybox:1'

describe.skipIf(unavailable)(`build --push${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let work: string
  let ctx: string
  const mr = (args: string[]) => miniRun(['--root', join(work, 'store'), '--state', join(work, 'state'), ...args])
  /** What the registry serves for a tag: its digest header. */
  const served = async (repo: string, tag: string) => {
    const r = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
    return r.ok ? r.headers.get('docker-content-digest') : `HTTP ${r.status}`
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mini-run-build-push-'))
    registry = await startRegistry()
    expect(mr(['load', '-q', '-i', BUSYBOX_OCI]).status).toBe(0)
    // a pinned base and a USER: no lint warning on stderr
    expect(mr(['tag', 'localhost/mini-run/busybox:latest', BASE]).status).toBe(0)
    ctx = join(work, 'ctx')
    mkdirSync(ctx)
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE}\nCOPY app.txt /app.txt\nLABEL built=by-test\nUSER nobody\n`)
    writeFileSync(join(ctx, 'app.txt'), 'the app\n')
  })
  afterAll(async () => {
    await registry?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('buildx build --push -t A -t B: stored, each name pushed, the metadata file names the digest the registry serves', async () => {
    const meta = join(work, 'meta.json')
    const built = mr(['buildx', 'build', '--push', '--load', '--provenance=false', '--sbom', 'false', '--metadata-file', meta, '-t', `${registry.host}/app:1`, '-t', `${registry.host}/app:latest`, ctx])
    expect(built.stderr).toBe('')
    expect(built.status).toBe(0)
    const data = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown>
    const digest = await served('app', '1')
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(await served('app', 'latest')).toBe(digest)
    // docker push's line for each name
    expect(built.stdout).toContain(`1: digest: ${digest} size: `)
    expect(built.stdout).toContain(`latest: digest: ${digest} size: `)
    const id = mr(['image', 'inspect', '-f', '{{.Id}}', `${registry.host}/app:1`]).stdout.trim()
    expect(data).toEqual({
      'containerimage.config.digest': id,
      'containerimage.descriptor': { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: expect.any(Number) },
      'containerimage.digest': digest,
      'image.name': `${registry.host}/app:1,${registry.host}/app:latest`,
    })
    // what was pushed is the image: pulled into a fresh store, the same id and file
    const fresh = ['--root', join(work, 'fresh'), '--state', join(work, 'fresh-state')]
    expect(miniRun([...fresh, 'pull', '-q', `${registry.host}/app:1`]).status).toBe(0)
    expect(miniRun([...fresh, 'image', 'inspect', '-f', '{{.Id}}', `${registry.host}/app:1`]).stdout.trim()).toBe(id)
  })

  it('-q --push prints the id alone; an attestation asked for is warned about; without --push the metadata is the stored image\'s', async () => {
    const meta = join(work, 'meta-q.json')
    const quiet = mr(['build', '-q', '--push', '--sbom=true', '--provenance', 'mode=max', '--metadata-file', meta, '-t', `${registry.host}/quiet:1`, ctx])
    expect(quiet.status).toBe(0)
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/)
    expect(quiet.stderr.split('\n')).toEqual([
      "WARNING: --provenance=mode=max: mini-run's builder makes no attestations, and the image has none",
      "WARNING: --sbom=true: mini-run's builder makes no attestations, and the image has none",
      '',
    ])
    expect(JSON.parse(readFileSync(meta, 'utf8'))['containerimage.digest']).toBe(await served('quiet', '1'))
    // not pushed: the manifest the store holds
    const local = join(work, 'meta-local.json')
    expect(mr(['build', '-q', '--metadata-file', local, '-t', 'localhost/app:local', ctx]).status).toBe(0)
    const data = JSON.parse(readFileSync(local, 'utf8')) as Record<string, string>
    expect(data['image.name']).toBe('localhost/app:local')
    expect(data['containerimage.digest']).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(await served('app', 'local')).toBe('HTTP 404')
    // written out, not stored: nothing to name
    const out = join(work, 'meta-out.json')
    expect(mr(['build', '-q', '-o', join(work, 'files'), '--metadata-file', out, ctx]).status).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe('{}')
  })

  it('a push that fails: the build\'s image is stored, the error is the push\'s one line, and no --iidfile is left', async () => {
    const { freePort } = await import('./helpers/registry-server.js')
    const nowhere = `127.0.0.1:${await freePort()}`
    const iid = join(work, 'iid')
    const r = mr(['build', '-q', '--push', '--iidfile', iid, '--attest', 'type=provenance,mode=max', '--attest', 'type=sbom,disabled=true', '-t', `${nowhere}/app:1`, ctx])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    const lines = r.stderr.split('\n')
    expect(lines[0]).toBe("WARNING: --attest=type=provenance,mode=max: mini-run's builder makes no attestations, and the image has none")
    expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^mini-run: .*${nowhere.replaceAll('.', '\\.')}`)), ''])
    expect(existsSync(iid)).toBe(false)
    expect(mr(['image', 'inspect', '-f', '{{.Id}}', `${nowhere}/app:1`]).stdout).toMatch(/^sha256:/)
  })

  it('refused before anything is built: --push without a name (buildx\'s words), --push or --load with --output', () => {
    for (const [args, line] of [
      [['--push'], 'tag is needed when pushing to registry'],
      [['--push', '-t', `${registry.host}/x:1`, '-o', join(work, 'x')], "--push with --output: mini-run's builder either stores an image or writes its files out, not both"],
      [['--load', '-o', join(work, 'y')], "--load with --output: mini-run's builder either stores an image or writes its files out, not both"],
    ] as const) {
      const r = mr(['build', ...args, ctx])
      expect([r.status, r.stderr]).toEqual([1, `mini-run: ${line}\n`])
    }
    expect(existsSync(join(work, 'x'))).toBe(false)
    expect(existsSync(join(work, 'y'))).toBe(false)
  })
})
