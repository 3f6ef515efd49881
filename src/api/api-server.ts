/**
 * `mini-run system service`: Docker's Engine API (version 1.41, Docker
 * 20.10's) on a unix socket, for what speaks it rather than a command
 * line: `docker` with DOCKER_HOST, the Docker SDKs (python3-docker),
 * docker-compose 1.x, testcontainers. podman's `system service` is the
 * model: a foreground process, no daemon behind it; each request is served
 * from the store and the states, or by running the mini-run verb it means,
 * so a container made through the socket is the same as one made at the
 * shell, and lives on when the service stops.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { ApiError } from './cli-call.js'
import { getLogger } from '../log.js'
import { apiHeaders, checkVersion, sendError, splitVersion } from './api-http.js'
import { upgradeHead } from './api-stream.js'
import * as containers from './api-containers.js'
import * as images from './api-images.js'
import * as attach from './api-attach.js'
import * as resources from './api-resources.js'
import { buildRoute } from './api-build.js'
import * as archive from './api-archive.js'
import * as system from './api-system.js'
import * as registry from './api-registry.js'
import { statsRoute } from './api-stats.js'
import type { Call, Handler, Service, StreamCall, StreamHandler, StreamTarget } from './service.js'

interface Route {
  method: string
  path: RegExp
  handler?: Handler
  stream?: StreamHandler
}

const NAME = '([^/]+)'
/** An image name has slashes: /images/localhost:5000/app:1/json. */
const IMAGE = '(.+?)'
const route = (method: string, path: string, handler: Handler): Route => ({ method, path: new RegExp(`^${path}$`), handler })
const streamRoute = (method: string, path: string, stream: StreamHandler): Route => ({ method, path: new RegExp(`^${path}$`), stream })

const ROUTES: Route[] = [
  route('GET', '/_ping', images.pingRoute),
  route('HEAD', '/_ping', images.pingRoute),
  route('GET', '/version', images.versionRoute),
  route('GET', '/info', images.infoRoute),
  route('GET', '/events', images.eventsRoute),
  route('GET', '/containers/json', containers.listRoute),
  route('POST', '/containers/create', containers.createRoute),
  route('GET', `/containers/${NAME}/json`, containers.inspectRoute),
  route('POST', `/containers/${NAME}/start`, containers.startRoute),
  route('POST', `/containers/${NAME}/stop`, containers.stopRoute('stop')),
  route('POST', `/containers/${NAME}/restart`, containers.stopRoute('restart')),
  route('POST', `/containers/${NAME}/kill`, containers.killRoute),
  route('POST', `/containers/${NAME}/pause`, containers.plainRoute('pause')),
  route('POST', `/containers/${NAME}/unpause`, containers.plainRoute('unpause')),
  route('POST', `/containers/${NAME}/rename`, containers.renameRoute),
  route('POST', `/containers/${NAME}/update`, containers.updateRoute),
  route('POST', `/containers/${NAME}/wait`, containers.waitRoute),
  route('GET', `/containers/${NAME}/logs`, containers.logsRoute),
  route('GET', `/containers/${NAME}/top`, containers.topRoute),
  route('GET', `/containers/${NAME}/stats`, statsRoute),
  route('POST', '/containers/prune', system.containersPruneRoute),
  route('DELETE', `/containers/${NAME}`, containers.removeRoute),
  route('GET', `/containers/${NAME}/archive`, archive.archiveRoute),
  route('HEAD', `/containers/${NAME}/archive`, archive.archiveRoute),
  route('PUT', `/containers/${NAME}/archive`, archive.putArchiveRoute),
  route('GET', `/containers/${NAME}/export`, archive.exportRoute),
  route('GET', `/containers/${NAME}/changes`, archive.changesRoute),
  route('POST', '/commit', archive.commitRoute),
  route('POST', `/containers/${NAME}/resize`, attach.resizeRoute),
  streamRoute('POST', `/containers/${NAME}/attach`, attach.attachRoute),
  route('POST', `/containers/${NAME}/exec`, attach.execCreateRoute),
  streamRoute('POST', `/exec/${NAME}/start`, attach.execStartRoute),
  route('GET', `/exec/${NAME}/json`, attach.execInspectRoute),
  route('POST', `/exec/${NAME}/resize`, attach.execResizeRoute),
  route('GET', '/images/json', images.imagesRoute),
  route('POST', '/build', buildRoute),
  route('POST', '/images/create', images.pullRoute),
  route('POST', '/images/load', images.loadRoute),
  route('GET', '/images/get', images.saveRoute),
  route('POST', '/images/prune', system.imagesPruneRoute),
  route('POST', `/images/${IMAGE}/push`, registry.pushRoute),
  route('POST', '/auth', registry.authRoute),
  route('GET', `/images/${IMAGE}/json`, images.imageInspectRoute),
  route('GET', `/images/${IMAGE}/history`, images.historyRoute),
  route('GET', `/images/${IMAGE}/get`, images.saveRoute),
  route('POST', `/images/${IMAGE}/tag`, images.tagRoute),
  route('DELETE', `/images/${IMAGE}`, images.removeImageRoute),
  route('POST', '/volumes/prune', system.volumesPruneRoute),
  route('POST', '/networks/prune', system.networksPruneRoute),
  route('POST', '/build/prune', system.buildPruneRoute),
  route('GET', '/system/df', system.dfRoute),
  route('GET', '/volumes', resources.volumesRoute),
  route('POST', '/volumes/create', resources.volumeCreateRoute),
  route('GET', `/volumes/${NAME}`, resources.volumeRoute),
  route('DELETE', `/volumes/${NAME}`, resources.volumeRemoveRoute),
  route('GET', '/networks', resources.networksRoute),
  route('POST', '/networks/create', resources.networkCreateRoute),
  route('GET', `/networks/${NAME}`, resources.networkRoute),
  route('DELETE', `/networks/${NAME}`, resources.networkRemoveRoute),
  route('POST', `/networks/${NAME}/connect`, resources.connectRoute('connect')),
  route('POST', `/networks/${NAME}/disconnect`, resources.connectRoute('disconnect')),
]

function decodeParam(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new ApiError(400, `bad escape in the path: ${text}`)
  }
}

function match(method: string, path: string): { route: Route; params: string[] } {
  let pathKnown = false
  for (const r of ROUTES) {
    const m = r.path.exec(path)
    if (!m) continue
    pathKnown = true
    if (r.method === method) return { route: r, params: m.slice(1).map(decodeParam) }
  }
  throw new ApiError(pathKnown ? 405 : 404, pathKnown ? `${method} is not allowed on ${path}` : `page not found: ${path}`)
}

function parse(req: IncomingMessage): { path: string; query: URLSearchParams } {
  const url = new URL(req.url ?? '/', 'http://mini-run')
  const { version, path } = splitVersion(url.pathname)
  checkVersion(version)
  return { path, query: url.searchParams }
}

/** A plain answer's body as the stream (a client that did not ask to upgrade). */
function responseTarget(res: ServerResponse): StreamTarget {
  return {
    out: res,
    begin: () => {
      res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/vnd.docker.raw-stream' })
      res.flushHeaders()
    },
    fail: (err) => sendError(res, err),
  }
}

/** A hijacked connection: 101, then the socket is the stream both ways. */
function socketTarget(socket: Duplex): StreamTarget {
  let begun = false
  // a client gone mid-stream: pipeOutput sees the close and ends its child
  socket.on('error', () => {})
  return {
    out: socket,
    input: socket,
    begin: () => {
      begun = true
      socket.write(upgradeHead(apiHeaders()))
    },
    fail: (err) => {
      if (begun) return void socket.destroy()
      const status = err instanceof ApiError ? err.status : 500
      const body = JSON.stringify({ message: err instanceof Error ? err.message : String(err) })
      socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    },
  }
}

/**
 * An upgraded request's body (Content-Length bytes), which Node leaves on
 * the socket: what comes after it is the stream's input, put back.
 */
function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Buffer> {
  const length = Number(req.headers['content-length'] ?? 0)
  if (!Number.isSafeInteger(length) || length < 0 || length > 1 << 20) return Promise.reject(new Error('bad Content-Length'))
  let got = head
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off('data', more)
      socket.off('error', reject)
      socket.off('end', ended)
      if (got.length > length) socket.unshift(got.subarray(length))
      resolve(got.subarray(0, length))
    }
    const more = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      if (got.length >= length) {
        socket.pause()
        done()
      }
    }
    const ended = () => reject(new Error('the connection ended in the body'))
    if (got.length >= length) return done()
    socket.on('data', more)
    socket.once('error', reject)
    socket.once('end', ended)
  })
}

async function serveStream(svc: Service, req: IncomingMessage, target: StreamTarget, body?: Buffer): Promise<void> {
  try {
    const { path, query } = parse(req)
    const { route: r, params } = match(req.method ?? 'GET', path)
    const call: StreamCall = { svc, req, params, query, target, ...(body && { body }) }
    if (r.stream) return await r.stream(call)
    throw new ApiError(400, `${path} cannot be upgraded`)
  } catch (err) {
    target.fail(err)
  }
}

async function serveRequest(svc: Service, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const { path, query } = parse(req)
    const { route: r, params } = match(req.method ?? 'GET', path)
    if (r.stream) return await serveStream(svc, req, responseTarget(res))
    await r.handler!({ svc, req, res, params, query } satisfies Call)
  } catch (err) {
    sendError(res, err)
  }
}

export interface ServiceServer {
  server: Server
  /** Resolves when the service has closed: idle for its time, or closed. */
  closed: Promise<void>
  close(): void
}

/**
 * The server, listening on path once the promise resolves. idleMs (podman's
 * --time) closes it after that long without a connection; 0 never.
 */
export async function startService(svc: Service, path: string, idleMs: number): Promise<ServiceServer> {
  // no request timeout (Node's 300 s would cut a long `docker cp` or build upload)
  const server = createServer({ requestTimeout: 0 }, (req, res) => void serveRequest(svc, req, res))
  // hijacked connections are the server's no longer: closed by hand at the end
  const hijacked = new Set<Duplex>()
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    hijacked.add(socket)
    socket.once('close', () => hijacked.delete(socket))
    void readUpgradeBody(req, socket, head).then(
      (body) => serveStream(svc, req, socketTarget(socket), body),
      () => socket.destroy(),
    )
  })
  let timer: NodeJS.Timeout | undefined
  const idle = () => {
    if (idleMs <= 0) return
    clearTimeout(timer)
    timer = setTimeout(() => server.close(), idleMs)
  }
  let open = 0
  server.on('connection', (socket) => {
    open++
    clearTimeout(timer)
    socket.once('close', () => {
      if (--open === 0) idle()
    })
  })
  const closed = new Promise<void>((resolve) => server.once('close', resolve))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      // an accept that fails (EMFILE) is that connection's loss, not the service's end
      server.on('error', (err) => getLogger().warn({ err }, 'system service: %s', err.message))
      resolve()
    })
  })
  idle()
  return {
    server,
    closed,
    close() {
      clearTimeout(timer)
      for (const child of svc.children) child.kill('SIGTERM')
      server.close()
      server.closeAllConnections()
      for (const socket of hijacked) socket.destroy()
    },
  }
}
