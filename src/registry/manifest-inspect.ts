/**
 * `manifest inspect [-v] [--insecure] REF`: an image's manifest, or its
 * manifest list, as the registry has it, printed as the Docker CLI prints
 * it (docker/cli cli/command/manifest/inspect.go, with its registry
 * client's fetcher.go), so that a script reading Docker's output reads
 * ours:
 *   - an image manifest: the registry's document, re-indented with tabs
 *     (json.Indent: its keys and strings as they are);
 *   - a list (an OCI index too): each manifest it names fetched and
 *     checked, then a Docker manifest list of their descriptors and
 *     platforms, indented with three spaces (distribution's
 *     manifestlist.FromDescriptors, which names every list a Docker list);
 *   - with -v, the record Docker keeps of each: Ref, Descriptor (with the
 *     platform the image's config says, or, in a list, the list's entry
 *     says), Raw (base64), and the manifest (SchemaV2Manifest or
 *     OCIManifest); for a list, an array of them.
 * Nothing is stored.
 */
import { MediaType } from '../image/oci.js'
import { parseReference, type Reference } from '../image/reference.js'
import { goEscapeHtml, goIndent } from '../go-json.js'
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
interface Platform {
  architecture: string
  os: string
  'os.version'?: string
  'os.features'?: string[]
  variant?: string
}

interface Fetched {
  ref: string
  manifest: FetchedManifest
  platform: Platform
}

/** The text `docker manifest inspect` prints for `ref`, its last newline included. */
export async function inspectManifest(image: string, o: InspectManifestOptions = {}): Promise<string> {
  const ref = parseReference(image)
  const { client } = await clientFor(ref.domain, o, o.signal)
  // docker/cli's normalizeReference: a name without tag or digest is :latest
  const name = ref.name
  const top = await fetch(client, ref, ref.digest ?? ref.tag!, name, undefined, o.signal)
  if (top.parsed.kind === 'image') {
    const one = { ref: name, manifest: top, platform: platformOf(await configOf(client, ref, top, o.signal)) }
    if (!o.verbose) return `${goIndent(top.bytes.toString('utf8'), '', '\t')}\n`
    return `${record(one, '')}\n`
  }
  const entries = top.parsed.index.manifests
  const list: Fetched[] = []
  for (const entry of entries) {
    const child = await fetch(client, ref, entry.digest, `${name}@${entry.digest}`, entry, o.signal)
    if (child.parsed.kind !== 'image') throw new RegistryError(`unsupported manifest type: ${child.mediaType} in the list ${name}`)
    // Docker reads each config (and checks it) though the list's entry gives the platform it shows
    await configOf(client, ref, child, o.signal)
    // the list's platform replaces the config's (types.OCIPlatform: a list entry's features are dropped)
    list.push({ ref: `${name}@${entry.digest}`, manifest: child, platform: platformOf((entry.platform ?? {}) as Record<string, unknown>) })
  }
  if (o.verbose) return `[\n${list.map((f) => `\t${record(f, '\t')}`).join(',\n')}\n]\n`
  const manifests = list.map((f) => ({
    mediaType: f.manifest.mediaType,
    size: f.manifest.bytes.length,
    digest: f.manifest.digest,
    platform: f.platform,
  }))
  return `${goEscapeHtml(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.DOCKER_MANIFEST_LIST, manifests }, null, '   '))}\n`
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
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as unknown
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {}
  } catch {
    throw new RegistryError(`the config of ${ref.name} is not valid JSON`)
  }
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

/** One types.ImageManifest, as json.MarshalIndent(_, "", "\t") writes it at `prefix`. */
function record(f: Fetched, prefix: string): string {
  const key = f.manifest.mediaType === MediaType.DOCKER_MANIFEST ? 'SchemaV2Manifest' : 'OCIManifest'
  const RAW = '\u0000manifest\u0000'
  const text = JSON.stringify(
    {
      Ref: f.ref,
      Descriptor: { mediaType: f.manifest.mediaType, digest: f.manifest.digest, size: f.manifest.bytes.length, platform: f.platform },
      Raw: f.manifest.bytes.toString('base64'),
      [key]: RAW,
    },
    null,
    '\t',
  )
  // the manifest itself: its own text (its MarshalJSON), indented in place
  const own = goIndent(f.manifest.bytes.toString('utf8'), '\t', '\t')
  return goEscapeHtml(text.replace(JSON.stringify(RAW), () => own)).replaceAll('\n', `\n${prefix}`)
}
