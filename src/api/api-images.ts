/**
 * /_ping, /version, /info and /images/...: the Engine API's system and
 * image endpoints. The store is read in-process, as `images` and
 * `image inspect` read it; pull, tag, rmi, load and save are the verbs.
 */
import { arch, release } from 'node:os'
import { ApiError, childEnd, endWith, errorLine, feedRequest, runCli, spawnCli, statusOf } from './cli-call.js'
import { API_VERSION, MIN_API_VERSION, apiHeaders, queryBool, queryFilters, sendJson } from './api-http.js'
import { imageSummaries, unixSeconds } from './container-summary.js'
import { track, type Call } from './service.js'
import { sendTar } from './api-archive.js'
import { streamStatus, withRegistryAuth } from './api-registry.js'
import { ImageStore } from '../image/store.js'
import { imageDetails } from '../image/image-details.js'
import { imageHistory } from '../image/image-history.js'
import { imageInspectJson } from '../cli/image-inspect-json.js'
import { listContainers } from '../runtime/container/containers.js'
import { miniRunVersion } from '../version.js'

const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' })[arch()] ?? arch()

export async function pingRoute({ req, res }: Call): Promise<void> {
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Builder-Version': '1' })
  res.end(req.method === 'HEAD' ? undefined : 'OK')
}

export async function versionRoute({ res }: Call): Promise<void> {
  const version = miniRunVersion()
  const engine = { Version: version, ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: goArch(), KernelVersion: release(), GitCommit: '', GoVersion: `node ${process.version}` }
  sendJson(res, 200, {
    Platform: { Name: 'mini-run' },
    Components: [{ Name: 'Engine', Version: version, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: goArch(), KernelVersion: release() } }],
    ...engine,
    BuildTime: '',
  })
}

export async function infoRoute({ svc, res }: Call): Promise<void> {
  const containers = listContainers(svc.stateRoot)
  const paused = containers.filter((c) => c.paused === true).length
  const runningCount = containers.filter((c) => c.status === 'running').length - paused
  const images = new Set((await new ImageStore({ root: svc.storeRoot }).list()).map((i) => i.configDigest)).size
  sendJson(res, 200, {
    ID: '',
    Name: 'mini-run',
    Containers: containers.length,
    ContainersRunning: runningCount,
    ContainersPaused: paused,
    ContainersStopped: containers.length - runningCount - paused,
    Images: images,
    Driver: 'overlay2',
    DockerRootDir: svc.storeRoot,
    OperatingSystem: 'Linux',
    OSType: 'linux',
    Architecture: goArch(),
    KernelVersion: release(),
    ServerVersion: miniRunVersion(),
    DefaultRuntime: 'mini-run',
    Runtimes: { 'mini-run': { path: 'mini-run' } },
    CgroupDriver: 'cgroupfs',
    // what `docker login` with no server logs in to (docker/cli reads it from here)
    IndexServerAddress: 'https://index.docker.io/v1/',
    SecurityOptions: ['name=seccomp,profile=default'],
    Labels: [],
    Warnings: [],
  })
}

function store(svc: Call['svc']): ImageStore {
  return new ImageStore({ root: svc.storeRoot })
}

export async function imagesRoute({ svc, res, query }: Call): Promise<void> {
  const filters = queryFilters(query)
  let list = await store(svc).list()
  if (filters.length) {
    // the filters as `images --filter` reads them: one meaning for both
    const { stdout } = await runCli(svc.global, ['images', '--quiet', '--no-trunc', ...filters.flatMap((f) => ['--filter', f])])
    const ids = new Set(stdout.split('\n').filter(Boolean))
    list = list.filter((i) => ids.has(i.configDigest))
  }
  const labels = new Map<string, Record<string, unknown> | undefined>()
  for (const i of list) {
    if (labels.has(i.configDigest)) continue
    labels.set(i.configDigest, (await imageDetails(store(svc), i.configDigest)).config.config?.Labels ?? undefined)
  }
  sendJson(res, 200, imageSummaries(list, (id) => labels.get(id)))
}

export async function imageInspectRoute({ svc, res, params }: Call): Promise<void> {
  try {
    sendJson(res, 200, imageInspectJson(await imageDetails(store(svc), params[0]!)))
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ENOIMAGE' || code === 'EBADREF') throw new ApiError(404, `No such image: ${params[0]}`)
    throw err
  }
}

/** `mini-run pull`'s own "TAG: Pulling from REPO" (pull-progress.ts), which the answer's first line says in Docker's form. */
const PULL_HEADING = /^\S+: Pulling from \S+$/

/**
 * POST /images/create?fromImage=&tag=: a pull, its progress as Docker's
 * JSON lines ({"status": ...}), and a failure as the last line's
 * {"error": ..., "errorDetail": {"message": ...}}; a manifest refused or
 * missing before any line is the answer's 401 or 404 (streamStatus). No
 * tag is latest, named, so that the first line `mini-run pull` prints is
 * its heading ("Using default tag" would come before the manifest).
 */

export async function pullRoute({ svc, req, res, query }: Call): Promise<void> {
  const from = query.get('fromImage')
  const source = query.get('fromSrc')
  if (!from && source) return importImage({ svc, req, res, query }, source)
  if (!from) throw new ApiError(400, 'fromImage or fromSrc is required')
  const tag = query.get('tag')
  const named = /@|:[^/]*$/.test(from)
  const ref = tag ? (tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`) : named ? from : `${from}:latest`
  const platform = query.get('platform')
  // the client's credentials for the registry, if it sent some (api-registry.ts)
  const args = ['pull', ...(platform ? ['--platform', platform] : []), '--', ref]
  await withRegistryAuth(svc, req, ref, (env) => streamStatus(svc, res, args, env, { first: [{ status: `Pulling from ${from}`, id: tag || 'latest' }], drop: PULL_HEADING }))
}

/**
 * POST /images/create?fromSrc=-|URL&repo=&tag=&message=&changes=...:
 * `docker import`, which is `mini-run import` (the request's body as its
 * stdin for -), its lines (the new image's id) as {"status"} lines.
 */
async function importImage({ svc, req, res, query }: Pick<Call, 'svc' | 'req' | 'res' | 'query'>, given: string): Promise<void> {
  // the body or a URL, as moby's ImportImage takes it (http:// before what has no scheme): never a file of the service's host
  const source = given === '-' ? '-' : given.includes('://') ? given : `http://${given}`
  if (source !== '-' && !/^https?:\/\//i.test(source)) throw new ApiError(400, `fromSrc: ${given}: only - (the body) or an http(s) URL`)
  const repo = query.get('repo')
  const tag = query.get('tag')
  const platform = query.get('platform')
  const message = query.get('message')
  const args = [
    'import',
    ...query.getAll('changes').flatMap((c) => ['--change', c]),
    ...(message ? ['--message', message] : []),
    ...(platform ? ['--platform', platform] : []),
    '--',
    source,
    ...(repo ? [tag ? `${repo}:${tag}` : repo] : []),
  ]
  const child = track(svc, spawnCli(svc.global, args, source === '-' ? 'pipe' : 'ignore'))
  if (source === '-') feedRequest(req, child)
  else req.resume()
  endWith(res, child)
  const end = childEnd(child)
  let stdout = ''
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()))
  const { code, stderr } = await end
  // nothing was sent before the end: a failure is the answer's own status, as Docker's daemon answers one before its stream
  if (code !== 0) {
    const message = errorLine(stderr) || `import exited with ${code}`
    throw new ApiError(statusOf(message), message)
  }
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/json' })
  for (const l of stdout.split('\n').filter(Boolean)) res.write(`${JSON.stringify({ status: l })}\n`)
  res.end()
}

export async function removeImageRoute({ svc, res, params, query }: Call): Promise<void> {
  const { stdout } = await runCli(svc.global, ['rmi', ...(queryBool(query, 'force') ? ['--force'] : []), ...(queryBool(query, 'noprune') ? ['--no-prune'] : []), '--', params[0]!])
  const items = stdout
    .split('\n')
    .map((l) => /^(Untagged|Deleted): (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ [m[1]!]: m[2]! }))
  sendJson(res, 200, items)
}

export async function tagRoute({ svc, res, params, query }: Call): Promise<void> {
  const repo = query.get('repo')
  if (!repo) throw new ApiError(400, 'repo is required')
  const tag = query.get('tag')
  await runCli(svc.global, ['tag', '--', params[0]!, tag ? `${repo}:${tag}` : repo])
  res.writeHead(201, apiHeaders())
  res.end()
}

/** POST /images/load: the request's body is `load`'s input; its lines come back as {"stream": ...}. */
export async function loadRoute({ svc, req, res }: Call): Promise<void> {
  const child = track(svc, spawnCli(svc.global, ['load'], 'pipe'))
  feedRequest(req, child)
  const end = childEnd(child)
  let stdout = ''
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()))
  const { code, stderr } = await end
  if (code !== 0) throw new ApiError(400, errorLine(stderr) || `load exited with ${code}`)
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/json' })
  for (const l of stdout.split('\n').filter(Boolean)) res.write(`${JSON.stringify({ stream: `${l}\n` })}\n`)
  res.end()
}

/** GET /images/{name}/history: `history`'s rows (image-history.ts), newest first, as Docker's HistoryResponseItem; the newest has the image's tags. */
export async function historyRoute({ svc, res, params }: Call): Promise<void> {
  const details = await imageDetails(store(svc), params[0]!).catch((err: unknown) => {
    const code = (err as { code?: string }).code
    throw code === 'ENOIMAGE' || code === 'EBADREF' ? new ApiError(404, `No such image: ${params[0]}`) : err
  })
  const rows = await imageHistory(store(svc), params[0]!)
  sendJson(
    res,
    200,
    rows.map((r, i) => ({
      Id: r.id ?? '<missing>',
      Created: unixSeconds(r.created),
      CreatedBy: r.createdBy,
      Tags: i === 0 && details.repoTags.length ? details.repoTags : null,
      Size: r.size,
      Comment: r.comment,
    })),
  )
}

/** GET /images/get?names=a&names=b and /images/{name}/get: `save`'s tar as the body. */
export async function saveRoute({ svc, res, params, query }: Call): Promise<void> {
  const names = params[0] !== undefined ? [params[0]] : query.getAll('names')
  if (names.length === 0) throw new ApiError(400, 'names is required')
  // each name checked first: a missing one is a 404 before the tar begins
  for (const n of names) await imageDetails(store(svc), n).catch(() => Promise.reject(new ApiError(404, `No such image: ${n}`)))
  await sendTar(svc, res, ['save', '--', ...names])
}

/** GET /events: `mini-run events`' JSON lines (Docker's events.Message, as the events log holds them), as they come. */
export async function eventsRoute({ svc, res, query }: Call): Promise<void> {
  const args = ['events', '--format', 'json', ...queryFilters(query).flatMap((f) => ['--filter', f])]
  for (const key of ['since', 'until']) {
    const v = query.get(key)
    if (v) args.push(`--${key}`, v)
  }
  const child = track(svc, spawnCli(svc.global, args))
  child.stderr!.resume()
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/json' })
  res.flushHeaders()
  endWith(res, child)
  child.stdout!.pipe(res)
  await new Promise((resolve) => {
    child.once('error', resolve)
    child.once('close', resolve)
  })
}
