/**
 * GET /containers/json's items (the Engine API's ContainerSummary) and
 * GET /images/json's (ImageSummary), made from what `inspect` and `images`
 * already say: one source for both, so `docker ps` through the service and
 * `mini-run ps` cannot disagree.
 */
import type { ImageSummary } from '../image/store-types.js'

type Json = Record<string, unknown>

/** Seconds since the epoch, as the list endpoints give times. */
export const unixSeconds = (iso: unknown): number => (typeof iso === 'string' && iso ? Math.floor(Date.parse(iso) / 1000) : 0)

/** Docker's Ports list: one item per published binding, one without PublicPort for a port only exposed. */
export function summaryPorts(inspect: Json): Json[] {
  const network = (inspect.NetworkSettings ?? {}) as { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> }
  const exposed = Object.keys(((inspect.Config ?? {}) as { ExposedPorts?: Json }).ExposedPorts ?? {})
  const ports = new Map<string, { HostIp: string; HostPort: string }[] | null>(exposed.map((p) => [p, null]))
  for (const [port, bindings] of Object.entries(network.Ports ?? {})) ports.set(port, bindings)
  const out: Json[] = []
  for (const [port, bindings] of ports) {
    const [number, type = 'tcp'] = port.split('/')
    const privatePort = Number(number)
    if (!bindings?.length) out.push({ PrivatePort: privatePort, Type: type })
    else for (const b of bindings) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: privatePort, PublicPort: Number(b.HostPort), Type: type })
  }
  return out
}

/** A list item from a container's inspect JSON and its STATUS text (format-status.ts). */
export function containerSummary(inspect: Json, status: { text: string; state: string }): Json {
  const config = (inspect.Config ?? {}) as { Image?: string; Labels?: Json | null }
  const host = (inspect.HostConfig ?? {}) as { NetworkMode?: string }
  const path = String(inspect.Path ?? '')
  const args = (inspect.Args ?? []) as string[]
  const networks = ((inspect.NetworkSettings ?? {}) as { Networks?: Json }).Networks ?? {}
  return {
    Id: inspect.Id,
    Names: [String(inspect.Name ?? '')],
    Image: config.Image ?? '',
    ImageID: inspect.Image ?? '',
    Command: [path, ...args].filter((s) => s !== '').join(' '),
    Created: unixSeconds(inspect.Created),
    Ports: summaryPorts(inspect),
    Labels: config.Labels ?? {},
    State: status.state,
    Status: status.text,
    HostConfig: { NetworkMode: host.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: networks },
    Mounts: inspect.Mounts ?? [],
  }
}

/** An image's list item: one per image id, with every tag it has (the store lists one entry per name). */
export function imageSummaries(list: ImageSummary[], labelsOf: (id: string) => Json | undefined): Json[] {
  const byId = new Map<string, ImageSummary[]>()
  for (const image of list) byId.set(image.configDigest, [...(byId.get(image.configDigest) ?? []), image])
  return [...byId].map(([id, names]) => {
    const first = names[0]!
    const tags = names.filter((n) => n.repository !== undefined && n.tag !== undefined).map((n) => `${n.familiarRepository ?? n.repository}:${n.tag}`)
    const digests = names.filter((n) => n.repository !== undefined && n.repoDigest).map((n) => `${n.familiarRepository ?? n.repository}@${n.repoDigest}`)
    return {
      Id: id,
      ParentId: '',
      RepoTags: tags,
      RepoDigests: [...new Set(digests)],
      Created: unixSeconds(first.created),
      Size: first.size,
      VirtualSize: first.size,
      SharedSize: -1,
      Labels: labelsOf(id) ?? {},
      Containers: -1,
    }
  })
}
