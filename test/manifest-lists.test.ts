/**
 * Docker's local manifest lists, as a user makes a multi-platform image of
 * two single-platform ones: `manifest create`, `annotate`, `inspect` of the
 * local list, `push` to a real registry (Debian's docker-registry on
 * 127.0.0.1), then a `pull --platform` of each platform from the pushed
 * list; `rm`; Docker's errors. The store is Docker's ($DOCKER_CONFIG/manifests),
 * its files as Docker's CLI writes them. No root needed.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { miniRun } from './helpers/cli.js'
import { buildImage, pushImage, type BuiltImage } from './helpers/registry-images.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'

const unavailable = registryUnavailable()
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

describe.skipIf(unavailable)(`manifest create, annotate, push, rm${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let amd: BuiltImage
  let arm: BuiltImage
  let dir: string
  let config: string

  beforeAll(async () => {
    registry = await startRegistry()
    amd = await buildImage({ layers: [{ 'arch.txt': 'amd64\n' }], architecture: 'amd64', docker: true })
    arm = await buildImage({ layers: [{ 'arch.txt': 'arm64\n' }], architecture: 'arm64', docker: true })
    await pushImage(registry.url, 'test/app-amd64', '1', amd)
    await pushImage(registry.url, 'test/app-arm64', '1', arm)
    dir = mkdtempSync('/var/tmp/mini-run-manifest-lists-')
    config = join(dir, 'docker')
  })
  afterAll(async () => {
    await registry?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const mr = (...args: string[]) => miniRun(['--root', join(dir, 'store'), '--state', join(dir, 'state'), ...args], { env: { ...process.env, DOCKER_CONFIG: config } })
  const ok = (...args: string[]) => {
    const r = mr(...args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const entry = (image: BuiltImage, platform: Record<string, unknown>) => ({ mediaType: image.manifest.mediaType, size: image.manifest.size, digest: image.manifest.digest, platform })

  it('create keeps each manifest as Docker does, annotate changes its platform, inspect shows the local list', () => {
    const list = `${registry.host}/test/app:1`
    expect(ok('manifest', 'create', list, `${registry.host}/test/app-amd64:1`)).toBe(`Created manifest list ${list}\n`)
    expect(mr('manifest', 'create', list, `${registry.host}/test/app-arm64:1`)).toMatchObject({ status: 1, stderr: 'mini-run: refusing to amend an existing manifest list with no --amend flag\n' })
    expect(ok('manifest', 'create', '--amend', list, `${registry.host}/test/app-arm64:1`)).toBe(`Created manifest list ${list}\n`)

    // Docker's store: a directory per list, a file per manifest, ':' as '-' and '/' as '_', json.Marshal's record
    const safe = (name: string) => name.replaceAll(':', '-').replaceAll('/', '_')
    const listDir = join(config, 'manifests', safe(list))
    expect(readdirSync(listDir).sort()).toEqual([safe(`${registry.host}/test/app-amd64:1`), safe(`${registry.host}/test/app-arm64:1`)])
    const amdRef = `${registry.host}/test/app-amd64:1`
    expect(readFileSync(join(listDir, safe(amdRef)), 'utf8')).toBe(
      `{"Ref":"${amdRef}","Descriptor":{"mediaType":"${amd.manifest.mediaType}","digest":"${amd.manifest.digest}","size":${amd.manifest.size},"platform":{"architecture":"amd64","os":"linux"}},` +
        `"Raw":"${amd.manifest.bytes.toString('base64')}","SchemaV2Manifest":${amd.manifest.bytes.toString()}}`,
    )

    // the local list first: FromDescriptors of the records, a Docker list (its first manifest is Docker's)
    const listed = {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: [entry(amd, { architecture: 'amd64', os: 'linux' }), entry(arm, { architecture: 'arm64', os: 'linux' })],
    }
    expect(ok('manifest', 'inspect', list)).toBe(`${JSON.stringify(listed, null, '   ')}\n`)
    const verbose = JSON.parse(ok('manifest', 'inspect', '-v', list)) as { Ref: string; Descriptor: { platform: unknown } }[]
    expect(verbose.map((r) => [r.Ref, r.Descriptor.platform])).toEqual([[amdRef, { architecture: 'amd64', os: 'linux' }], [`${registry.host}/test/app-arm64:1`, { architecture: 'arm64', os: 'linux' }]])
    // one manifest of the list: its own text, re-indented with tabs
    expect(ok('manifest', 'inspect', list, amdRef)).toBe(`${JSON.stringify(JSON.parse(amd.manifest.bytes.toString()), null, '\t')}\n`)

    ok('manifest', 'annotate', '--variant', 'v8', '--os-features', 'a,b', '--os-features', 'a', list, `${registry.host}/test/app-arm64:1`)
    listed.manifests[1]!.platform = { architecture: 'arm64', os: 'linux', 'os.features': ['a', 'b'], variant: 'v8' }
    expect(ok('manifest', 'inspect', list)).toBe(`${JSON.stringify(listed, null, '   ')}\n`)
    expect(mr('manifest', 'annotate', '--arch', 'vax', list, amdRef)).toMatchObject({ status: 1, stderr: 'mini-run: manifest entry for image has unsupported os/arch combination: /vax\n' })
    expect(mr('manifest', 'annotate', list, `${registry.host}/test/other:1`)).toMatchObject({ status: 1, stderr: `mini-run: manifest for image ${registry.host}/test/other:1 does not exist in ${list}\n` })
    expect(mr('manifest', 'inspect', list, `${registry.host}/test/other:1`)).toMatchObject({ status: 1, stderr: `mini-run: No such manifest: ${registry.host}/test/other:1\n` })
  })

  it("push sends each manifest into the list's repository, then the list; a pull of each platform gets its image", () => {
    const list = `${registry.host}/test/app:1`
    const repo = `${registry.host}/test/app`
    const lines = ok('manifest', 'push', list).split('\n')
    const listed = {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: [entry(amd, { architecture: 'amd64', os: 'linux' }), entry(arm, { architecture: 'arm64', os: 'linux', 'os.features': ['a', 'b'], variant: 'v8' })],
    }
    const bytes = Buffer.from(JSON.stringify(listed, null, '   '))
    expect(lines).toEqual([
      `Pushed ref ${repo}@${amd.manifest.digest} with digest: ${amd.manifest.digest}`,
      `Pushed ref ${repo}@${arm.manifest.digest} with digest: ${arm.manifest.digest}`,
      sha(bytes),
      '',
    ])
    // the registry holds those bytes, as skopeo reads them
    expect(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${list}`])).toEqual(bytes)
    for (const [platform, image] of [['linux/amd64', amd], ['linux/arm64/v8', arm]] as const) {
      ok('pull', '-q', '--platform', platform, '--insecure-registry', registry.host, list)
      const [inspected] = JSON.parse(ok('image', 'inspect', list)) as { Id: string; Architecture: string }[]
      expect(inspected!.Id).toBe(image.config.digest)
      ok('rmi', list)
    }
    // the list stays until --purge or rm
    expect(existsSync(join(config, 'manifests'))).toBe(true)
    expect(ok('manifest', 'push', '--purge', list).trim().split('\n').pop()).toBe(sha(bytes))
    expect(readdirSync(join(config, 'manifests'))).toEqual([])
  })

  it("refuses a source from another registry, a manifest list as a manifest, and rm's missing lists in Docker's words", () => {
    // the same registry by two names: Docker compares the names
    const port = registry.host.split(':')[1]
    const list = `${registry.host}/test/mixed:1`
    ok('manifest', 'create', list, `localhost:${port}/test/app-amd64:1`)
    expect(mr('manifest', 'push', list)).toMatchObject({ status: 1, stderr: `mini-run: cannot use source images from a different registry than the target image: localhost:${port} != ${registry.host}\n` })
    expect(mr('manifest', 'inspect', list)).toMatchObject({ status: 1, stderr: `mini-run: failed to assemble ManifestDescriptor: cannot use source images from a different registry than the target image: localhost:${port} != ${registry.host}\n` })
    // the list pushed above, named as a manifest
    const r = mr('manifest', 'create', `${registry.host}/test/x:1`, `${registry.host}/test/app:1`)
    expect(r).toMatchObject({ status: 1, stderr: `mini-run: ${registry.host}/test/app:1 is a manifest list\n` })
    expect(existsSync(join(config, 'manifests', `${registry.host}/test/x:1`.replaceAll(':', '-').replaceAll('/', '_')))).toBe(false)
    expect(mr('manifest', 'rm', list, 'nosuch')).toMatchObject({ status: 1, stderr: 'mini-run: No such manifest: docker.io/library/nosuch:latest\n' })
    expect(readdirSync(join(config, 'manifests'))).toEqual([])
    expect(mr('manifest', 'push', list)).toMatchObject({ status: 1, stderr: `mini-run: No such manifest: ${list}\n` })
  })
})
