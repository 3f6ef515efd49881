/**
 * `manifest inspect [-v] [--insecure] REF`: an image's manifest, or its
 * manifest list, as the registry has it, printed as the Docker CLI prints
 * it (docker/cli cli/command/manifest/inspect.go, with its registry
 * client's fetcher.go), so that a script reading Docker's output reads
 * ours:
 *   - an image manifest: the registry's document, re-indented with tabs
 *     (json.Indent: its keys and strings as they are);
 *   - a list (an OCI index too): each manifest it names fetched and
 *     checked, then a list of their descriptors and platforms, indented
 *     with three spaces (distribution's manifestlist.FromDescriptors: an
 *     OCI index if the first manifest is an OCI one, else a Docker list);
 *   - with -v, the record Docker keeps of each: Ref, Descriptor (with the
 *     platform the image's config says, or, in a list, the list's entry
 *     says), Raw (base64), and the manifest (SchemaV2Manifest or
 *     OCIManifest); for a list, an array of them.
 * Nothing is stored here (a local list: manifest-lists.ts). Two deliberate differences: a registry on a loopback
 * address, or one registries.conf marks insecure, may use plain HTTP
 * without --insecure, as for mini-run's pull (Docker's manifest inspect
 * then finds no manifest); and a registry's 401 says what mini-run's pull
 * says of it, where Docker says `no such manifest`.
 */
import { MediaType } from '../image/oci.js'
import { parseReference, type Reference } from '../image/reference.js'
import { goCompact, goEscapeHtml, goIndent } from '../go-json.js'
import { readBlob } from './blob-stream.js'
import { clientFor, type ClientForOptions } from './client-for.js'
import type { RegistryClient } from './client.js'
import { ManifestNotFoundError, RegistryError } from './errors.js'
import { DOCUMENT_LIMIT, fetchManifest, type FetchedManifest } from './manifest.js'

export interface InspectManifestOptions extends ClientForOptions {
  verbose?: boolean
  signal?: AbortSignal
}

/** OCI's platform, in its fields' order (ocispec.Platform); os and architecture always there. */
export interface Platform {
  architecture: string
  os: string
  'os.version'?: string
  'os.features'?: string[]
  variant?: string
}

/** One of Docker's types.ImageManifest: what -v prints and what a local list (manifest-lists.ts) keeps. */
export interface ManifestRecord {
  ref: string
  mediaType: string
  digest: string
  /** The manifest as the registry has it (Raw). */
  bytes: Buffer
  /** Absent only in a record of Docker's without one. */
  platform?: Platform
}

const asRecord = (ref: string, m: FetchedManifest, platform: Platform): ManifestRecord => ({ ref, mediaType: m.mediaType, digest: m.digest, bytes: m.bytes, platform })

/** The text `docker manifest inspect` prints for `ref`, its last newline included. */
export async function inspectManifest(image: string, o: InspectManifestOptions = {}): Promise<string> {
  const ref = parseReference(image)
  const { client } = await clientFor(ref.domain, o, o.signal)
  const { tagged, name } = dockerName(ref)
  const top = await fetch(client, ref, ref.digest ?? ref.tag!, name, undefined, o.signal)
  if (top.parsed.kind === 'image') {
    const one = asRecord(name, top, platformOf(await configOf(client, ref, top, o.signal)))
    return o.verbose ? `${recordText(one, '')}\n` : manifestText(one)
  }
  const entries = top.parsed.index.manifests
  // GetManifestList counts an empty list as none found
  if (entries.length === 0) throw new ManifestNotFoundError(`no such manifest: ${name}`, { status: 404 })
  const list: ManifestRecord[] = []
  for (const entry of entries) {
    if (entry.platform !== undefined && (typeof entry.platform !== 'object' || entry.platform === null || Array.isArray(entry.platform))) {
      throw new RegistryError(`the list ${name} gives ${entry.digest} a platform that is no object`)
    }
    // a manifest of the list missing: Docker's registry client tries its next endpoint, and then has found none by the list's name
    const child = await fetch(client, ref, entry.digest, name, entry, o.signal)
    if (child.parsed.kind !== 'image') throw new RegistryError('unsupported manifest type: *manifestlist.DeserializedManifestList')
    // Docker reads each config (and checks it) though the list's entry gives the platform it shows
    await configOf(client, ref, child, o.signal)
    // reference.WithDigest: the list's digest replaced by the manifest's, a tag kept; the list's platform, its features dropped (types.OCIPlatform)
    list.push(asRecord(`${tagged}@${entry.digest}`, child, platformOf((entry.platform ?? {}) as Record<string, unknown>)))
  }
  return o.verbose ? recordsText(list) : `${listDocument(list)}\n`
}

/** A single manifest as inspect prints it: its own text, re-indented with tabs. */
export function manifestText(r: ManifestRecord): string {
  return `${goIndent(r.bytes.toString('utf8'), '', '\t')}\n`
}

/** Records as -v prints those of a list: json.MarshalIndent of the array. */
export function recordsText(list: readonly ManifestRecord[]): string {
  return `[\n${list.map((f) => `\t${recordText(f, '\t')}`).join(',\n')}\n]\n`
}

/**
 * distribution's manifestlist.FromDescriptors of the records, as its
 * MarshalJSON writes it (three spaces): an OCI index when the first manifest
 * is an OCI one, else a Docker list, whatever the registry's list was.
 */
export function listDocument(list: readonly ManifestRecord[]): string {
  const manifests = list.map((f) => ({ mediaType: f.mediaType, size: f.bytes.length, digest: f.digest, ...(f.platform ? { platform: f.platform } : { platform: { architecture: '', os: '' } }) }))
  const mediaType = list[0]?.mediaType === MediaType.OCI_MANIFEST ? MediaType.OCI_INDEX : MediaType.DOCKER_MANIFEST_LIST
  return goEscapeHtml(JSON.stringify({ schemaVersion: 2, mediaType, manifests }, null, '   '))
}

/**
 * The record of one image manifest, fetched with its config (Docker's
 * registry client GetManifest, for `manifest create`): a list is refused
 * in Docker's words.
 */
export async function fetchManifestRecord(image: string, o: InspectManifestOptions = {}): Promise<ManifestRecord> {
  const ref = parseReference(image)
  const { client } = await clientFor(ref.domain, o, o.signal)
  const { name } = dockerName(ref)
  const top = await fetch(client, ref, ref.digest ?? ref.tag!, name, undefined, o.signal)
  if (top.parsed.kind !== 'image') throw new RegistryError(`${name} is a manifest list`)
  return asRecord(name, top, platformOf(await configOf(client, ref, top, o.signal)))
}

/** The digest the registry gives what a reference names (an index's for a multi-platform image): Docker's DistributionInspect. */
export async function registryDigest(image: string, o: InspectManifestOptions = {}): Promise<string> {
  const ref = parseReference(image)
  const { client } = await clientFor(ref.domain, o, o.signal)
  return (await fetch(client, ref, ref.digest ?? ref.tag!, dockerName(ref).name, undefined, o.signal)).digest
}

/** The reference as Docker's String() prints it: a tag kept beside a digest; :latest when there is neither (normalizeReference). */
export function dockerName(ref: Reference): { tagged: string; name: string } {
  const tagged = ref.tag === undefined ? ref.repository : `${ref.repository}:${ref.tag}`
  return { tagged, name: ref.digest === undefined ? tagged : `${tagged}@${ref.digest}` }
}

async function fetch(client: RegistryClient, ref: Reference, reference: string, name: string, expected: { digest: string; size: number } | undefined, signal?: AbortSignal): Promise<FetchedManifest> {
  try {
    return await fetchManifest(client, { repository: ref.path, reference, name, ...(expected && { expected }), ...(signal && { signal }) })
  } catch (err) {
    // docker/cli's notFoundError
    if (err instanceof ManifestNotFoundError) throw new ManifestNotFoundError(`no such manifest: ${name}`, { status: 404, cause: err })
    throw err
  }
}

/** The image's config, read and verified (Docker's pullManifestSchemaV2ImageConfig). */
async function configOf(client: RegistryClient, ref: Reference, m: FetchedManifest, signal?: AbortSignal): Promise<Record<string, unknown>> {
  if (m.parsed.kind !== 'image') return {}
  const config = m.parsed.manifest.config
  if (config.size > DOCUMENT_LIMIT) throw new RegistryError(`the config of ${ref.name} is larger than ${DOCUMENT_LIMIT} bytes: refused`)
  const bytes = await readBlob(client, ref.path, config, signal ? { signal } : {})
  let doc: unknown
  try {
    doc = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new RegistryError(`the config of ${ref.name} is not valid JSON`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RegistryError(`the config of ${ref.name} is no JSON object`)
  return doc as Record<string, unknown>
}

/**
 * The platform Docker reads out of the config (json.Unmarshal into
 * ocispec.Platform: a key matched exactly, else without regard to case).
 */
function platformOf(config: Record<string, unknown>): Platform {
  const get = (key: string) => {
    if (key in config) return config[key]
    const k = Object.keys(config).find((x) => x.toLowerCase() === key.toLowerCase())
    return k === undefined ? undefined : config[k]
  }
  const text = (key: string) => (typeof get(key) === 'string' ? (get(key) as string) : undefined)
  const features = get('os.features')
  return {
    architecture: text('architecture') ?? '',
    os: text('os') ?? '',
    ...(text('os.version') && { 'os.version': text('os.version') }),
    ...(Array.isArray(features) && features.length > 0 && { 'os.features': features.filter((f): f is string => typeof f === 'string') }),
    ...(text('variant') && { variant: text('variant') }),
  }
}

/**
 * One types.ImageManifest, as json.MarshalIndent(_, "", "\t") writes it at
 * `prefix`, or, with indent false, as json.Marshal does (a local list's file).
 */
export function recordText(f: ManifestRecord, prefix: string, indent = true): string {
  const key = f.mediaType === MediaType.DOCKER_MANIFEST ? 'SchemaV2Manifest' : 'OCIManifest'
  const RAW = '\u0000manifest\u0000'
  const text = JSON.stringify(
    {
      Ref: f.ref,
      Descriptor: { mediaType: f.mediaType, digest: f.digest, size: f.bytes.length, ...(f.platform && { platform: f.platform }) },
      Raw: f.bytes.toString('base64'),
      [key]: RAW,
    },
    null,
    indent ? '\t' : undefined,
  )
  // the manifest itself: its own text (its MarshalJSON), compacted (no space after it) and indented in place
  const own = indent ? goIndent(f.bytes.toString('utf8').trimEnd(), '\t', '\t') : goCompact(f.bytes.toString('utf8'))
  return goEscapeHtml(text.replace(JSON.stringify(RAW), () => own)).replaceAll('\n', `\n${prefix}`)
}
