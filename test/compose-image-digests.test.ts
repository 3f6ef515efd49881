/**
 * `compose config --resolve-image-digests` and `--lock-image-digests`, as a
 * user pins a compose file before publishing it: each image the file names gets the digest its
 * registry (Debian's docker-registry on 127.0.0.1) gives it now, a
 * multi-platform image its index's; an image with a digest already, and the
 * image compose names for a build, are left as they are; a tag the registry
 * lacks is one line and exit 1, as docker compose's. No root needed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { miniRun } from './helpers/cli.js'
import { buildImage, buildIndex, pushImage, pushIndex, type BuiltImage, type BuiltIndex } from './helpers/registry-images.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'

const unavailable = registryUnavailable()

describe.skipIf(unavailable)(`compose config --resolve-image-digests${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let single: BuiltImage
  let multi: BuiltIndex
  let dir: string

  beforeAll(async () => {
    registry = await startRegistry()
    single = await buildImage({ layers: [{ 'one.txt': 'one\n' }], architecture: 'amd64' })
    multi = buildIndex([await buildImage({ layers: [{ 'a.txt': 'amd64\n' }], architecture: 'amd64' }), await buildImage({ layers: [{ 'a.txt': 'arm64\n' }], architecture: 'arm64' })])
    await pushImage(registry.url, 'test/single', '1', single)
    await pushIndex(registry.url, 'test/multi', '2', multi)
    dir = mkdtempSync('/var/tmp/mini-run-compose-digests-')
  })
  afterAll(async () => {
    await registry?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const config = (yaml: string, args: string[]) => {
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    return miniRun(['--root', join(dir, 'store'), '--state', join(dir, 'state'), 'compose', '-p', 'pin', 'config', ...args], { cwd: dir })
  }

  it('pins each named image to its registry digest (an index\'s for a multi-platform image), in yaml and json; a digest given stays, a build\'s own name too', () => {
    const pinned = `${'0'.repeat(63)}1`
    const yaml = [
      'services:',
      `  single:\n    image: ${registry.host}/test/single:1`,
      `  multi:\n    image: ${registry.host}/test/multi:2`,
      // the tag beside a digest is dropped (ParseDockerRef), nothing is asked of the registry
      `  given:\n    image: ${registry.host}/test/absent:9@sha256:${pinned}`,
      '  built:\n    build: .',
      '',
    ].join('\n')
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n')
    const r = config(yaml, ['--resolve-image-digests'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`  single:\n    image: ${registry.host}/test/single:1@${single.manifest.digest}\n`)
    expect(r.stdout).toContain(`  multi:\n    image: ${registry.host}/test/multi:2@${multi.index.digest}\n`)
    expect(r.stdout).toContain(`  given:\n    image: ${registry.host}/test/absent@sha256:${pinned}\n`)
    expect(r.stdout).toMatch(/ {4}image: pin-built\n/)
    const json = JSON.parse(config(yaml, ['--resolve-image-digests', '--format', 'json']).stdout)
    expect(json.services.single.image).toBe(`${registry.host}/test/single:1@${single.manifest.digest}`)
    // without the flag, and for --images, the images as the file names them
    expect(config(yaml, []).stdout).toContain(`    image: ${registry.host}/test/single:1\n`)
    expect(config(yaml, ['--resolve-image-digests', '--images']).stdout.split('\n')).toContain(`${registry.host}/test/multi:2`)
  })

  it('--lock-image-digests: an override file of the pinned images alone, which merged after the file pins the project', () => {
    const yaml = [
      'services:',
      `  single:\n    image: ${registry.host}/test/single:1\n    environment: {A: "1"}\n    ports: ["8080:80"]`,
      `  multi:\n    image: ${registry.host}/test/multi:2`,
      '  built:\n    build: .',
      '',
    ].join('\n')
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n')
    const r = config(yaml, ['--lock-image-digests'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe([
      'services:',
      '  built: {}',
      '  multi:',
      `    image: ${registry.host}/test/multi:2@${multi.index.digest}`,
      '  single:',
      `    image: ${registry.host}/test/single:1@${single.manifest.digest}`,
      '',
    ].join('\n'))
    // compose-go's JSON writes the project's name, empty in the override, first as Go sorts a map's keys
    const json = config(yaml, ['--lock-image-digests', '--format', 'json']).stdout
    expect(json.startsWith('{\n  "name": "",\n  "services": {')).toBe(true)
    expect(JSON.parse(json)).toEqual({
      name: '',
      services: { built: {}, multi: { image: `${registry.host}/test/multi:2@${multi.index.digest}` }, single: { image: `${registry.host}/test/single:1@${single.manifest.digest}` } },
    })
    // the lock file as an override: the project with its images pinned, the rest as the file says
    writeFileSync(join(dir, 'lock.yaml'), r.stdout)
    const merged = miniRun(['--root', join(dir, 'store'), '--state', join(dir, 'state'), 'compose', '-p', 'pin', '-f', 'compose.yaml', '-f', 'lock.yaml', 'config', '--format', 'json'], { cwd: dir })
    expect(merged.status, merged.stderr).toBe(0)
    const project = JSON.parse(merged.stdout)
    expect(project.services.single.image).toBe(`${registry.host}/test/single:1@${single.manifest.digest}`)
    expect(project.services.single.environment).toEqual({ A: '1' })
    expect(project.services.built.image).toBe('pin-built')
    // the JSON lock file's empty name overrides none: the file's own stays the project's
    writeFileSync(join(dir, 'lock.json'), json)
    writeFileSync(join(dir, 'named.yaml'), `name: shop\n${yaml}`)
    const named = miniRun(['--root', join(dir, 'store'), '--state', join(dir, 'state'), 'compose', '-f', 'named.yaml', '-f', 'lock.json', 'config', '--format', 'json'], { cwd: dir })
    expect([named.status, JSON.parse(named.stdout).name, JSON.parse(named.stdout).services.single.image]).toEqual([0, 'shop', `${registry.host}/test/single:1@${single.manifest.digest}`])
  })

  it('a tag the registry lacks: one line naming it, exit 1, with -q too; nothing printed', () => {
    const yaml = `services:\n  web:\n    image: ${registry.host}/test/single:nope\n`
    for (const args of [['--resolve-image-digests'], ['-q', '--resolve-image-digests'], ['--lock-image-digests']]) {
      const r = config(yaml, args)
      expect(r.status).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(new RegExp(`^mini-run: failed to resolve digest for ${registry.host.replaceAll('.', '\\.')}/test/single:nope: [^\\n]+\\n$`))
    }
  })
})
