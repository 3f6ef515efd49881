/**
 * Docker's local manifest lists (docker/cli cli/command/manifest, its
 * store cli/manifest/store): `manifest create` keeps the record of each
 * image manifest named (fetched from its registry, its platform from its
 * config), `annotate` changes a record's platform, `inspect` shows a local
 * list before asking a registry, `push` sends the list (and, for a manifest
 * of another repository of the same registry, its blobs mounted and the
 * manifest put by digest first), and `rm` forgets it.
 *
 * The store is Docker's own: $DOCKER_CONFIG/manifests (else
 * ~/.docker/manifests), a directory per list and a file per manifest, each
 * named by its reference with ':' as '-' and '/' as '_', the file a
 * types.ImageManifest as json.Marshal writes it. A list made by either
 * CLI is read and pushed by the other.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { MiniRunError, UsageError } from '../errors.js'
import { MediaType } from '../image/oci.js'
import { parseReference } from '../image/reference.js'
import { clientFor } from './client-for.js'
import { dockerConfigDir } from './docker-config.js'
import { RegistryError } from './errors.js'
import { dockerName, fetchManifestRecord, listDocument, recordText, type InspectManifestOptions, type ManifestRecord, type Platform } from './manifest-inspect.js'
import { parseManifest } from './manifest.js'
import { putManifest } from './push.js'
import { cancelUpload, uploadLocation } from './push-blob.js'

export class NoSuchManifestError extends MiniRunError {
  constructor(name: string) {
    super(`No such manifest: ${name}`, { code: 'ENOMANIFEST' })
  }
}

/** docker/cli's normalizeReference, as String() prints it: :latest added unless a digest is given. */
export function listName(text: string): string {
  return dockerName(parseReference(text)).name
}

const fileName = (name: string) => name.replaceAll(':', '-').replaceAll('/', '_')

export function manifestsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dockerConfigDir(env), 'manifests')
}

/** Docker's store, at `root`. */
export class ManifestLists {
  constructor(readonly root = manifestsDir()) {}

  /** The records of a list, by file name (os.ReadDir's order); undefined when there is no such list. */
  list(name: string): ManifestRecord[] | undefined {
    let files: string[]
    try {
      files = readdirSync(join(this.root, fileName(name))).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    return files.filter((f) => !f.startsWith('.')).map((f) => readRecord(join(this.root, fileName(name), f)))
  }

  get(list: string, manifest: string): ManifestRecord | undefined {
    try {
      return readRecord(join(this.root, fileName(list), fileName(manifest)))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  save(list: string, manifest: string, record: ManifestRecord): void {
    const dir = join(this.root, fileName(list))
    mkdirSync(dir, { recursive: true })
    // written whole, then renamed: a reader never sees half a record
    const tmp = join(dir, `.${fileName(manifest)}.${process.pid}`)
    writeFileSync(tmp, recordText(record, '', false), { mode: 0o644 })
    renameSync(tmp, join(dir, fileName(manifest)))
  }

  remove(list: string): void {
    rmSync(join(this.root, fileName(list)), { recursive: true, force: true })
  }
}

/** A record file, Docker's or ours: its Raw must have its Descriptor's digest. */
function readRecord(path: string): ManifestRecord {
  const text = readFileSync(path, 'utf8')
  const bad = (why: string) => new MiniRunError(`invalid manifest file ${path}: ${why}`)
  let doc: { Ref?: unknown; Descriptor?: { mediaType?: unknown; digest?: unknown; platform?: unknown }; Raw?: unknown }
  try {
    doc = JSON.parse(text)
  } catch {
    throw bad('not JSON')
  }
  const d = doc.Descriptor
  if (typeof doc.Ref !== 'string' || typeof doc.Raw !== 'string' || typeof d?.digest !== 'string' || typeof d.mediaType !== 'string') throw bad('no Ref, Raw or Descriptor')
  const bytes = Buffer.from(doc.Raw, 'base64')
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  if (digest !== d.digest) throw bad(`image manifest digest mismatch (${d.digest} != ${digest})`)
  const p = d.platform as Partial<Platform> | undefined
  return { ref: doc.Ref, mediaType: d.mediaType, digest, bytes, ...(p && typeof p === 'object' && { platform: ociPlatform(p) }) }
}

/** A platform as ocispec.Platform marshals it: its fields in order, the empty optional ones left out. */
function ociPlatform(p: Partial<Platform>): Platform {
  return {
    architecture: p.architecture ?? '',
    os: p.os ?? '',
    ...(p['os.version'] && { 'os.version': p['os.version'] }),
    ...(p['os.features']?.length && { 'os.features': p['os.features'] }),
    ...(p.variant && { variant: p.variant }),
  }
}

/** `manifest create [--amend] LIST MANIFEST...`: the list's name as Docker prints it. */
export async function createList(list: string, manifests: string[], o: InspectManifestOptions & { amend?: boolean; store?: ManifestLists } = {}): Promise<string> {
  const store = o.store ?? new ManifestLists()
  let target: string
  try {
    target = listName(list)
  } catch (err) {
    throw new UsageError(`error parsing name for manifest list ${list}: ${(err as Error).message}`)
  }
  if (store.list(target) !== undefined && !o.amend) throw new UsageError('refusing to amend an existing manifest list with no --amend flag')
  // each fetched before any is saved: a failure leaves the list as it was
  const records: [string, ManifestRecord][] = []
  for (const m of manifests) {
    const name = listName(m)
    const kept = store.get(target, name)
    records.push([name, kept ?? (await fetchManifestRecord(m, o))])
  }
  for (const [name, record] of records) store.save(target, name, record)
  return target
}

export interface Annotation {
  os?: string
  arch?: string
  osVersion?: string
  osFeatures?: string[]
  variant?: string
}

/** docker/cli's validOSArches: the pairs annotate takes. */
const VALID_OS_ARCH = new Set([
  'darwin/386', 'darwin/amd64', 'darwin/arm', 'darwin/arm64', 'dragonfly/amd64', 'freebsd/386', 'freebsd/amd64', 'freebsd/arm',
  'linux/386', 'linux/amd64', 'linux/arm', 'linux/arm64', 'linux/ppc64le', 'linux/mips64', 'linux/mips64le', 'linux/riscv64', 'linux/s390x',
  'netbsd/386', 'netbsd/amd64', 'netbsd/arm', 'openbsd/386', 'openbsd/amd64', 'openbsd/arm', 'plan9/386', 'plan9/amd64', 'solaris/amd64',
  'windows/386', 'windows/amd64',
])

/** `manifest annotate`: the record's platform changed as the flags say. */
export function annotate(list: string, manifest: string, a: Annotation, store = new ManifestLists()): void {
  const parse = (text: string, what: string) => {
    try {
      return listName(text)
    } catch (err) {
      throw new UsageError(`annotate: error parsing name for ${what} ${text}: ${(err as Error).message}`)
    }
  }
  const target = parse(list, 'manifest list')
  const name = parse(manifest, 'manifest')
  const record = store.get(target, name)
  if (!record) throw new MiniRunError(`manifest for image ${manifest} does not exist in ${list}`, { code: 'ENOMANIFEST' })
  const p: Platform = { ...(record.platform ?? { architecture: '', os: '' }) }
  if (a.os) p.os = a.os
  if (a.arch) p.architecture = a.arch
  for (const f of a.osFeatures ?? []) if (!(p['os.features'] ?? []).includes(f)) p['os.features'] = [...(p['os.features'] ?? []), f]
  if (a.variant) p.variant = a.variant
  if (a.osVersion) p['os.version'] = a.osVersion
  // Docker's text names the flags, not the record (empty when the record kept its own)
  if (!VALID_OS_ARCH.has(`${p.os}/${p.architecture}`)) throw new UsageError(`manifest entry for image has unsupported os/arch combination: ${a.os ?? ''}/${a.arch ?? ''}`)
  store.save(target, name, { ...record, platform: ociPlatform(p) })
}

/** `manifest rm LIST...`: each that exists goes; the others are named, Docker's errors joined. */
export function removeLists(lists: string[], store = new ManifestLists()): void {
  const errors: string[] = []
  for (const l of lists) {
    try {
      const name = listName(l)
      if (store.list(name) === undefined) throw new NoSuchManifestError(name)
      store.remove(name)
    } catch (err) {
      errors.push((err as Error).message)
    }
  }
  if (errors.length) throw new MiniRunError(errors.join('\n'), { code: 'ENOMANIFEST' })
}

/**
 * `manifest push LIST`: its lines (a manifest of another repository put by
 * digest first, `Pushed ref ... with digest: ...`), then the list's digest.
 */
export async function pushList(list: string, o: InspectManifestOptions & { purge?: boolean; store?: ManifestLists; out: (line: string) => void }): Promise<string> {
  const store = o.store ?? new ManifestLists()
  const target = parseReference(list)
  const name = dockerName(target).name
  const records = store.list(name)
  if (!records || records.length === 0) throw new NoSuchManifestError(name)
  for (const r of records) {
    if (!r.platform?.os || !r.platform.architecture) throw new UsageError(`manifest ${r.ref} must have an OS and Architecture to be pushed to a registry`)
    const domain = parseReference(r.ref).domain
    if (domain !== target.domain) throw new UsageError(`cannot use source images from a different registry than the target image: ${domain} != ${target.domain}`)
  }
  const { client } = await clientFor(target.domain, o, o.signal)
  for (const r of records) {
    const from = parseReference(r.ref)
    if (from.path === target.path) continue
    // its blobs mounted from its repository (a registry that uploads instead fails it, as Docker's),
    // then the manifest itself put by digest into the list's repository
    const parsed = parseManifest(r.bytes, r.mediaType, r.ref).parsed
    if (parsed.kind !== 'image') throw new RegistryError(`${r.ref} is a manifest list`)
    for (const blob of [parsed.manifest.config, ...parsed.manifest.layers]) await mountBlob(client, target.path, from.path, blob.digest, r.platform?.os === 'windows', name)
    await putManifest(client, target.path, r.digest, r.bytes, r.mediaType, r.digest)
    o.out(`Pushed ref ${target.repository}@${r.digest} with digest: ${r.digest}`)
  }
  const bytes = Buffer.from(listDocument(records))
  const mediaType = records[0]!.mediaType === MediaType.OCI_MANIFEST ? MediaType.OCI_INDEX : MediaType.DOCKER_MANIFEST_LIST
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  await putManifest(client, target.path, target.digest ?? target.tag!, bytes, mediaType, digest)
  if (o.purge) store.remove(name)
  return digest
}

async function mountBlob(client: Awaited<ReturnType<typeof clientFor>>['client'], repository: string, from: string, digest: string, windows: boolean, target: string): Promise<void> {
  const what = `blob ${digest} to ${client.registry}/${repository}`
  const query = new URLSearchParams({ mount: digest, from })
  const res = await client.request({ repository, actions: 'pull,push', method: 'POST', path: `blobs/uploads/?${query}`, extraScopes: [`repository:${from}:pull`], what })
  if (res.status === 201) {
    res.body.resume()
    return
  }
  if (res.status !== 202) throw await client.failure(res, `mount of ${what} from ${from}`)
  // an upload session instead: cancelled, as Docker's MountBlob does
  await cancelUpload(client, repository, uploadLocation(res, what), what)
  // an upload session instead of the mount: a foreign layer of a Windows image may be missing, Docker lets it be
  if (!windows) throw new RegistryError(`error mounting ${from}@${digest} to ${target}`)
}

