/**
 * `mini-run save`: images as the tar `docker save` writes since Docker 25,
 * which both `docker load` (any version) and `mini-run load` read:
 *
 *   blobs/sha256/<hex>   the layer blobs as the store kept them, configs,
 *                        manifests
 *   index.json           an OCI index, one entry per name (annotations
 *   oci-layout           io.containerd.image.name and ...ref.name): the
 *                        archive is also an OCI image layout (umoci, skopeo)
 *   manifest.json        [{Config, RepoTags, Layers}]: docker save's own index
 *   repositories         {repo: {tag: top layer}}: for Docker before 1.10
 *
 * The layers are the blobs the store kept (export-image.ts), so the
 * manifests inside are the stored ones, digests included, and `docker load`
 * decompresses them as it does any layer. Entries are sorted, owned by 0:0,
 * dated 1970: saving the same images twice gives the same bytes.
 */
import { createReadStream } from 'node:fs'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { MiniRunError } from '../errors.js'
import { writeOutputFile } from '../output-file.js'
import { digestHex, isDigest } from './digest.js'
import { exportImage, type ExportedImage } from './export-image.js'
import { MediaType, type Descriptor, type ImageIndex } from './oci.js'
import { familiarRepository, parseReference } from './reference.js'
import { listRefs } from './refs.js'
import type { ImageStore } from './store.js'
import { END_OF_ARCHIVE, encodeHeader, padding } from './tar-writer.js'

const REF_NAME = 'org.opencontainers.image.ref.name'
const CONTAINERD_NAME = 'io.containerd.image.name'

export interface SaveResult {
  images: Array<{ configDigest: string; manifestDigest: string; names: string[] }>
  /** Bytes of the archive. */
  size: number
}

interface SavedImage {
  exported: ExportedImage
  /** Normalized names to record (none when saved by id). */
  names: string[]
}

interface Member {
  path: string
  size: number
  /** Content: bytes, or a file to stream. */
  bytes?: Buffer
  file?: string
}

/**
 * Write the images `refs` designate to `dest`, a file path (written to a
 * temp name beside it and renamed, so a failed save leaves no half archive)
 * or a stream (stdout).
 */
export async function saveArchive(store: ImageStore, refs: readonly string[], dest: string | Writable): Promise<SaveResult> {
  if (refs.length === 0) throw new MiniRunError('save: no image given', { code: 'EUSAGE' })
  const images = await collect(store, refs)
  const members = new Map<string, Member>()
  const add = (m: Member): void => {
    if (!members.has(m.path)) members.set(m.path, m)
  }
  const manifestJson: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = []
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [] }
  const repositories: Record<string, Record<string, string>> = {}
  for (const { exported, names } of images) {
    const blob = (digest: string): string => `blobs/sha256/${digestHex(digest)}`
    for (const layer of exported.layers) add({ path: blob(layer.descriptor.digest), size: layer.descriptor.size, file: layer.path })
    add({ path: blob(exported.image.configDigest), size: exported.configBytes.length, bytes: exported.configBytes })
    add({ path: blob(exported.manifestDigest), size: exported.manifestBytes.length, bytes: exported.manifestBytes })
    const config = exported.image.config
    const descriptor: Descriptor = {
      mediaType: exported.mediaType,
      digest: exported.manifestDigest,
      size: exported.manifestBytes.length,
      platform: { architecture: config.architecture, os: config.os, ...(config.variant && { variant: config.variant }) },
    }
    const repoTags: string[] = []
    for (const name of names) {
      const ref = parseReference(name)
      const familiar = familiarRepository(ref.repository)
      repoTags.push(`${familiar}:${ref.tag}`)
      index.manifests.push({ ...descriptor, annotations: { [CONTAINERD_NAME]: ref.name, [REF_NAME]: ref.tag! } })
      const top = config.rootfs.diff_ids.at(-1)
      if (top !== undefined) (repositories[familiar] ??= {})[ref.tag!] = digestHex(top)
    }
    if (names.length === 0) index.manifests.push(descriptor)
    manifestJson.push({
      Config: blob(exported.image.configDigest),
      RepoTags: repoTags.length > 0 ? repoTags : null,
      Layers: exported.layers.map((l) => blob(l.descriptor.digest)),
    })
  }
  const json = (path: string, value: unknown): void => {
    const bytes = Buffer.from(JSON.stringify(value) + '\n')
    add({ path, size: bytes.length, bytes })
  }
  json('index.json', index)
  json('manifest.json', manifestJson)
  json('oci-layout', { imageLayoutVersion: '1.0.0' })
  if (Object.keys(repositories).length > 0) json('repositories', repositories)

  const sorted = [...members.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  let size = 0
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of tarStream(sorted)) {
      size += chunk.length
      yield chunk
    }
  }
  if (typeof dest === 'string') {
    await writeOutputFile(dest, counted())
  } else {
    await pipeline(Readable.from(counted()), dest, { end: false })
  }
  return {
    images: images.map((i) => ({ configDigest: i.exported.image.configDigest, manifestDigest: i.exported.manifestDigest, names: i.names })),
    size,
  }
}

/**
 * The images to save, one per image id, with their names: a name saves
 * that name, a repository without a tag all its tags (as `docker save
 * busybox`), an id the image without names.
 */
async function collect(store: ImageStore, refs: readonly string[]): Promise<SavedImage[]> {
  const byId = new Map<string, SavedImage>()
  const allRefs = await listRefs(store.refsDir)
  for (const ref of refs) {
    let found = await store.findRefs(ref)
    let named = found.length > 0 && !isIdLike(ref)
    if (named && !/:[^/]*$/.test(ref) && !ref.includes('@')) {
      // `save busybox`: every tag of the repository
      const repository = parseReference(ref).repository
      const tags = allRefs.filter((r) => !isDigest(r.name) && parseReference(r.name).repository === repository && parseReference(r.name).tag !== undefined)
      if (tags.length > 0) found = tags
    }
    if (found.length === 0) throw new MiniRunError(`no such image: ${ref}`, { code: 'ENOIMAGE' })
    if (found.some((f) => parseReference(f.name).digest !== undefined && !isDigest(f.name))) named = false // repo@digest: no tag to record
    for (const f of found) {
      let entry = byId.get(f.configDigest)
      if (!entry) {
        entry = { exported: await exportImage(store, f.name), names: [] }
        byId.set(f.configDigest, entry)
      }
      if (named && !isDigest(f.name) && !entry.names.includes(f.name)) entry.names.push(f.name)
    }
  }
  return [...byId.values()]
}

function isIdLike(ref: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{1,64}$/.test(ref)
}

async function* tarStream(members: Member[]): AsyncGenerator<Buffer> {
  const dirs = new Set<string>()
  for (const m of members) {
    const parts = m.path.split('/').slice(0, -1)
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/') + '/'
      if (dirs.has(dir)) continue
      dirs.add(dir)
      yield encodeHeader({ path: dir, type: 'dir', mode: 0o755 })
    }
    yield encodeHeader({ path: m.path, type: 'file', mode: 0o644, size: m.size })
    if (m.bytes) yield m.bytes
    else if (m.file) {
      let n = 0
      for await (const chunk of createReadStream(m.file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
        n += chunk.length
        if (n > m.size) break
        yield chunk
      }
      if (n !== m.size) throw new MiniRunError(`${m.file} is not the ${m.size} bytes the manifest says: the store is damaged`, { code: 'EBADBLOB' })
    }
    yield padding(m.size)
  }
  yield END_OF_ARCHIVE
}
