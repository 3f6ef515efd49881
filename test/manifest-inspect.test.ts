/**
 * `mini-run manifest inspect`, against a real registry (Debian's
 * docker-registry on 127.0.0.1): the output the Docker CLI prints for an
 * image manifest (the document re-indented with tabs, its text kept), a
 * list (a Docker list of the manifests' descriptors and platforms, three
 * spaces), and -v's records; checked against the bytes skopeo reads from
 * the registry, and Docker's errors. No root needed.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { miniRun } from './helpers/cli.js'
import { blobOf, buildImage, buildIndex, pushBlob, pushImage, pushIndex, pushManifest, type BuiltImage, type BuiltIndex } from './helpers/registry-images.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'

const unavailable = registryUnavailable()
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

describe.skipIf(unavailable)(`manifest inspect${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let app: BuiltImage
  let noted: Buffer
  let multi: BuiltIndex
  let docker: BuiltImage

  beforeAll(async () => {
    registry = await startRegistry()
    app = await buildImage({ layers: [{ 'etc/motd': 'hello\n' }] })
    for (const blob of [app.config, ...app.layers]) await pushBlob(registry.url, 'test/app', blob)
    // a manifest as a registry may hold one: spaces of its own, keys out of the usual order, an annotation Go's encoder escapes
    const m = JSON.parse(app.manifest.bytes.toString()) as { config: unknown; layers: unknown[] }
    noted = Buffer.from(`{"schemaVersion":2,  "mediaType": "application/vnd.oci.image.manifest.v1+json",\n"layers":${JSON.stringify(m.layers)},"config":${JSON.stringify(m.config)},"annotations":{"note":"a<b&c"},"x-empty":{}}`)
    await pushManifest(registry.url, 'test/app', 'v1', { ...blobOf(noted), mediaType: 'application/vnd.oci.image.manifest.v1+json' })
    const amd64 = await buildImage({ layers: [{ 'arch.txt': 'amd64\n' }], architecture: 'amd64' })
    const arm64 = await buildImage({ layers: [{ 'arch.txt': 'arm64\n' }], architecture: 'arm64', variant: 'v8' })
    multi = buildIndex([amd64, arm64])
    await pushIndex(registry.url, 'test/multi', 'latest', multi)
    docker = await buildImage({ layers: [{ 'x': 'x\n' }], docker: true, architecture: 'arm', variant: 'v7' })
    await pushImage(registry.url, 'test/docker', '1', docker)
    await pushIndex(registry.url, 'test/dockerlist', '1', buildIndex([docker], { docker: true }))
    // the same manifest with a last newline, as some tools write one
    await pushManifest(registry.url, 'test/app', 'nl', { ...blobOf(Buffer.from(`${app.manifest.bytes.toString()}\n`)), mediaType: 'application/vnd.oci.image.manifest.v1+json' })
    const list = (manifests: unknown[]) => ({ ...blobOf(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }))), mediaType: 'application/vnd.oci.image.index.v1+json' })
    await pushManifest(registry.url, 'test/empty', '1', list([]))

  })
  afterAll(async () => {
    await registry?.stop()
  })

  const inspect = (...args: string[]) => miniRun(['manifest', 'inspect', ...args])

  it("prints an image's manifest as the registry holds it, re-indented with tabs, its keys and strings as they are", () => {
    const r = inspect(`${registry.host}/test/app:v1`)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const [config, layer] = [app.config, app.layers[0]!]
    expect(r.stdout).toBe(`{
\t"schemaVersion": 2,
\t"mediaType": "application/vnd.oci.image.manifest.v1+json",
\t"layers": [
\t\t{
\t\t\t"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
\t\t\t"digest": "${layer.digest}",
\t\t\t"size": ${layer.size}
\t\t}
\t],
\t"config": {
\t\t"mediaType": "application/vnd.oci.image.config.v1+json",
\t\t"digest": "${config.digest}",
\t\t"size": ${config.size}
\t},
\t"annotations": {
\t\t"note": "a<b&c"
\t},
\t"x-empty": {}
}
`)
    // the same bytes skopeo reads from the registry
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/test/app:v1`])
    expect(raw.equals(noted)).toBe(true)
  })

  it('-v: the record Docker keeps, with the platform the config says, the raw bytes, and the manifest under its kind', () => {
    const r = inspect('-v', `${registry.host}/test/app:v1`)
    expect(r.status, r.stderr).toBe(0)
    const record = JSON.parse(r.stdout) as Record<string, unknown>
    expect(Object.keys(record)).toEqual(['Ref', 'Descriptor', 'Raw', 'OCIManifest'])
    expect(record.Ref).toBe(`${registry.host}/test/app:v1`)
    expect(record.Descriptor).toEqual({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(noted), size: noted.length, platform: { architecture: 'amd64', os: 'linux' } })
    expect(Buffer.from(record.Raw as string, 'base64').equals(noted)).toBe(true)
    expect(record.OCIManifest).toEqual(JSON.parse(noted.toString()))
    // json.MarshalIndent's tabs, and its escapes of < and &
    expect(r.stdout).toContain('\n\t"Descriptor": {\n\t\t"mediaType": "application/vnd.oci.image.manifest.v1+json",\n')
    expect(r.stdout).toContain('\n\t\t\t"note": "a\\u003cb\\u0026c"\n\t\t},\n\t\t"x-empty": {}\n\t}\n}\n')
    const v2 = JSON.parse(inspect('--verbose', `${registry.host}/test/docker:1`).stdout) as Record<string, unknown>
    expect(Object.keys(v2)).toEqual(['Ref', 'Descriptor', 'Raw', 'SchemaV2Manifest'])
    expect((v2.Descriptor as { platform: unknown }).platform).toEqual({ architecture: 'arm', os: 'linux', variant: 'v7' })
  })

  it('a list: an OCI index of what it names when the first is an OCI manifest (a Docker list otherwise), three spaces, as the Docker CLI prints it; -v a record of each', () => {
    const [amd64, arm64] = multi.images
    const r = inspect(`${registry.host}/test/multi`)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`{
   "schemaVersion": 2,
   "mediaType": "application/vnd.oci.image.index.v1+json",
   "manifests": [
      {
         "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "size": ${amd64!.manifest.size},
         "digest": "${amd64!.manifest.digest}",
         "platform": {
            "architecture": "amd64",
            "os": "linux"
         }
      },
      {
         "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "size": ${arm64!.manifest.size},
         "digest": "${arm64!.manifest.digest}",
         "platform": {
            "architecture": "arm64",
            "os": "linux",
            "variant": "v8"
         }
      }
   ]
}
`)
    const v = inspect('-v', `${registry.host}/test/multi:latest`)
    expect(v.status, v.stderr).toBe(0)
    const records = JSON.parse(v.stdout) as { Ref: string; Descriptor: { digest: string; platform: unknown }; Raw: string }[]
    expect(records.map((x) => x.Ref)).toEqual(multi.images.map((i) => `${registry.host}/test/multi:latest@${i.manifest.digest}`))
    expect(records[1]!.Descriptor).toMatchObject({ digest: arm64!.manifest.digest, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } })
    expect(Buffer.from(records[0]!.Raw, 'base64').equals(amd64!.manifest.bytes)).toBe(true)
    expect(v.stdout.startsWith('[\n\t{\n\t\t"Ref": ')).toBe(true)
    // by the list's digest: each record's Ref has the manifest's digest in its place (reference.WithDigest)
    const byDigest = JSON.parse(inspect('-v', `${registry.host}/test/multi@${multi.index.digest}`).stdout) as { Ref: string }[]
    expect(byDigest.map((x) => x.Ref)).toEqual(multi.images.map((i) => `${registry.host}/test/multi@${i.manifest.digest}`))
    // a Docker list of Docker manifests stays one
    const listed = JSON.parse(inspect(`${registry.host}/test/dockerlist:1`).stdout) as { mediaType: string; manifests: { mediaType: string; platform: unknown }[] }
    expect(listed.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json')
    expect(listed.manifests).toEqual([expect.objectContaining({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', platform: { architecture: 'arm', os: 'linux', variant: 'v7' } })])
  })

  it('-v of a manifest that ends with a newline: none inside the record (MarshalIndent compacts it), and the plain output keeps it as json.Indent does', () => {
    const r = inspect('-v', `${registry.host}/test/app:nl`)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.endsWith('\n\t\t]\n\t}\n}\n')).toBe(true)
    expect(r.stdout).not.toMatch(/\n\s*\n/)
    expect(inspect(`${registry.host}/test/app:nl`).stdout.endsWith('\n\t]\n}\n\n')).toBe(true)
  })

  it("Docker's errors: no such manifest (by its full name, :latest when none is given), a local list, a bad reference", () => {
    expect(inspect(`${registry.host}/test/app`)).toMatchObject({ status: 1, stdout: '', stderr: `mini-run: no such manifest: ${registry.host}/test/app:latest\n` })
    expect(inspect(`${registry.host}/test/nothing:2`)).toMatchObject({ status: 1, stderr: `mini-run: no such manifest: ${registry.host}/test/nothing:2\n` })
    // a manifest of a local list (docker manifest create's), which there is none of: Docker names the manifest
    expect(inspect('mylist', `${registry.host}/test/app:v1`)).toMatchObject({ status: 1, stderr: `mini-run: No such manifest: ${registry.host}/test/app:v1\n` })
    // an empty list is none found (GetManifestList's)
    expect(inspect(`${registry.host}/test/empty:1`)).toMatchObject({ status: 1, stderr: `mini-run: no such manifest: ${registry.host}/test/empty:1\n` })
    const bad = inspect('Bad:Ref:x')
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toMatch(/^mini-run: invalid reference format "Bad:Ref:x"/)
  })
})
