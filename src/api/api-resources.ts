/**
 * /volumes/... and /networks/...: read in-process as `volume inspect` and
 * `network inspect` read them, changed through the verbs. docker-compose
 * 1.x makes a project's network and volumes through these before its
 * containers.
 */
import { ApiError, runCli } from './cli-call.js'
import { queryBool, queryFilters, readJson, sendEmpty, sendJson } from './api-http.js'
import type { Call, Service } from './service.js'
import { inspectVolume, listVolumes } from '../runtime/container/volume-store.js'
import { volumeJson } from '../cli/volume-json.js'
import { inspectNetwork } from '../network/network-inspect.js'

type Json = Record<string, unknown>

/** An object's not-found error as Docker's 404. */
function found<T>(what: string, ref: string, get: () => T): T {
  try {
    return get()
  } catch (err) {
    const code = String((err as { code?: unknown }).code)
    if (['ENOVOLUME', 'EBADVOLUME', 'ENONETWORK'].includes(code)) throw new ApiError(404, `No such ${what}: ${ref}`)
    throw err
  }
}

const filterFlags = (query: URLSearchParams) => queryFilters(query).flatMap((f) => ['--filter', f])
const labelFlags = (labels: unknown) => Object.entries((labels ?? {}) as Json).flatMap(([k, v]) => ['--label', `${k}=${String(v)}`])
const optFlags = (opts: unknown) => Object.entries((opts ?? {}) as Json).flatMap(([k, v]) => ['--opt', `${k}=${String(v)}`])

export async function volumesRoute({ svc, res, query }: Call): Promise<void> {
  let list = listVolumes(svc.storeRoot)
  const flags = filterFlags(query)
  if (flags.length) {
    const names = new Set((await runCli(svc.global, ['volume', 'ls', '--quiet', ...flags])).stdout.split('\n').filter(Boolean))
    list = list.filter((v) => names.has(v.name))
  }
  sendJson(res, 200, { Volumes: list.map(volumeJson), Warnings: [] })
}

export async function volumeRoute({ svc, res, params }: Call): Promise<void> {
  sendJson(res, 200, volumeJson(found('volume', params[0]!, () => inspectVolume(svc.storeRoot, params[0]!))))
}

export async function volumeCreateRoute({ svc, req, res }: Call): Promise<void> {
  const body = await readJson(req)
  const driver = typeof body.Driver === 'string' && body.Driver !== '' ? ['--driver', body.Driver] : []
  const name = typeof body.Name === 'string' && body.Name !== '' ? [body.Name] : []
  const { stdout } = await runCli(svc.global, ['volume', 'create', ...driver, ...labelFlags(body.Labels), ...optFlags(body.DriverOpts), '--', ...name])
  const made = stdout.trim().split('\n').at(-1) ?? ''
  sendJson(res, 201, volumeJson(inspectVolume(svc.storeRoot, made)))
}

export async function volumeRemoveRoute({ svc, res, params, query }: Call): Promise<void> {
  found('volume', params[0]!, () => inspectVolume(svc.storeRoot, params[0]!))
  await runCli(svc.global, ['volume', 'rm', ...(queryBool(query, 'force') ? ['--force'] : []), '--', params[0]!])
  sendEmpty(res, 204)
}

function network(svc: Service, ref: string): Json {
  return found('network', ref, () => inspectNetwork(svc.storeRoot, svc.stateRoot, ref))
}

export async function networksRoute({ svc, res, query }: Call): Promise<void> {
  const { stdout } = await runCli(svc.global, ['network', 'ls', '--quiet', '--no-trunc', ...filterFlags(query)])
  const shown: Json[] = []
  for (const id of stdout.split('\n').filter(Boolean)) {
    try {
      shown.push(network(svc, id))
    } catch {
      // removed since the listing
    }
  }
  sendJson(res, 200, shown)
}

export async function networkRoute({ svc, res, params }: Call): Promise<void> {
  sendJson(res, 200, network(svc, params[0]!))
}

export async function networkCreateRoute({ svc, req, res }: Call): Promise<void> {
  const body = await readJson(req)
  if (typeof body.Name !== 'string' || body.Name === '') throw new ApiError(400, 'Name: a network name is required')
  const ipam = (body.IPAM ?? {}) as { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] }
  const args = ['network', 'create']
  if (typeof body.Driver === 'string' && body.Driver !== '') args.push('--driver', body.Driver)
  if (body.Internal === true) args.push('--internal')
  if (body.Attachable === true) args.push('--attachable')
  if (body.EnableIPv6 === true) args.push('--ipv6')
  if (ipam.Driver && ipam.Driver !== 'default') args.push('--ipam-driver', ipam.Driver)
  for (const c of ipam.Config ?? []) {
    if (c.Subnet) args.push('--subnet', c.Subnet)
    if (c.Gateway) args.push('--gateway', c.Gateway)
    if (c.IPRange) args.push('--ip-range', c.IPRange)
  }
  args.push(...labelFlags(body.Labels), ...optFlags(body.Options), '--', body.Name)
  const { stdout } = await runCli(svc.global, args)
  sendJson(res, 201, { Id: stdout.trim().split('\n').at(-1) ?? '', Warning: '' })
}

export async function networkRemoveRoute({ svc, res, params }: Call): Promise<void> {
  network(svc, params[0]!)
  await runCli(svc.global, ['network', 'rm', '--', params[0]!])
  sendEmpty(res, 204)
}

/** connect and disconnect: {"Container": ..., "EndpointConfig": {"Aliases": [...], "IPAMConfig": {...}}} or {"Force": true}. */
export function connectRoute(verb: 'connect' | 'disconnect') {
  return async ({ svc, req, res, params }: Call): Promise<void> => {
    network(svc, params[0]!)
    const body = await readJson(req)
    if (typeof body.Container !== 'string' || body.Container === '') throw new ApiError(400, 'Container: a container is required')
    const args = ['network', verb]
    if (verb === 'disconnect' && body.Force === true) args.push('--force')
    const ep = (body.EndpointConfig ?? {}) as { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } }
    if (verb === 'connect') {
      for (const a of ep.Aliases ?? []) args.push('--alias', a)
      if (ep.IPAMConfig?.IPv4Address) args.push('--ip', ep.IPAMConfig.IPv4Address)
      if (ep.IPAMConfig?.IPv6Address) args.push('--ip6', ep.IPAMConfig.IPv6Address)
    }
    await runCli(svc.global, [...args, '--', params[0]!, body.Container])
    sendEmpty(res, 200)
  }
}
