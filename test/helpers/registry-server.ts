/**
 * A real registry for tests: Debian's docker-registry (distribution 2.8) on
 * 127.0.0.1, a free port, a temp storage dir and a config of our own (the
 * package's default listens on every interface and demands htpasswd). In
 * front of it, when a test needs one, a node:http proxy that records every
 * request, can answer for the registry (errors, auth challenges, odd
 * manifests) and can cut or slow a response. Traffic stays on 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const REGISTRY_BINARY = '/usr/bin/docker-registry'

/**
 * Why registry tests cannot run here, or undefined when they can. Under CI
 * (CI=true) they always run: a missing package there is a failure that says
 * what to install, not a silent skip.
 */
export function registryUnavailable(): string | undefined {
  try {
    accessSync(REGISTRY_BINARY, constants.X_OK)
    return undefined
  } catch {
    return process.env.CI ? undefined : `${REGISTRY_BINARY} is missing: apt-get install -y docker-registry`
  }
}

export interface RegistryServer {
  /** "127.0.0.1:PORT" (or the netns's address:5000), as in references. */
  host: string
  url: string
  storageDir: string
  pid: number
  /** Where the registry keeps a blob's bytes (to tamper with them). */
  blobDataPath(digest: string): string
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * `inNetns`: the registry listens on `address` inside the network namespace
 * of that pid (a test's own), on port 5000, and is asked whether it is up
 * from there; otherwise on 127.0.0.1 and a free port here.
 */
export async function startRegistry(inNetns?: { pid: number; address: string }): Promise<RegistryServer> {
  const dir = await mkdtemp(join(tmpdir(), 'mini-run-registry-'))
  let child: ChildProcess | undefined
  let exited: Promise<unknown> = Promise.resolve()
  try {
    const port = inNetns ? 5000 : await freePort()
    const address = inNetns?.address ?? '127.0.0.1'
    const enter = inNetns ? [`--net=/proc/${inNetns.pid}/ns/net`] : []
    const storageDir = join(dir, 'storage')
    const configPath = join(dir, 'config.yml')
    await writeFile(
      configPath,
      [
        'version: 0.1',
        'log:',
        '  level: error',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${storageDir}`,
        '  delete:',
        '    enabled: true',
        '  maintenance:',
        '    uploadpurging:',
        '      enabled: false',
        'http:',
        `  addr: ${address}:${port}`,
        `  secret: ${randomBytes(16).toString('hex')}`,
        '',
      ].join('\n'),
    )
    // REGISTRY_* variables override the config file: keep none of the caller's.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')))
    // nsenter execs the registry: the child's pid is the registry's
    const started = inNetns
      ? spawn('nsenter', [...enter, REGISTRY_BINARY, 'serve', configPath], { env, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(REGISTRY_BINARY, ['serve', configPath], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    child = started
    let stderr = ''
    started.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    const childExit = new Promise<number | string | null>((resolve) => {
      started.once('exit', (code) => resolve(code))
      started.once('error', (err) => resolve(`${err.message} (apt-get install -y docker-registry)`))
    })
    exited = childExit
    const url = `http://${address}:${port}`
    const deadline = Date.now() + 15_000
    for (;;) {
      const code = await Promise.race([childExit, sleep(50).then(() => 'running' as const)])
      if (code !== 'running') throw new Error(`docker-registry exited with ${code}: ${stderr}`)
      const ok = inNetns
        ? spawnSync('nsenter', [...enter, 'curl', '-sf', '-o', '/dev/null', `${url}/v2/`]).status === 0
        : await fetch(`${url}/v2/`).then((r) => r.status === 200, () => false)
      if (ok) break
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url} within 15 s: ${stderr}`)
    }
    const pid = started.pid!
    return {
      host: `${address}:${port}`,
      url,
      storageDir,
      pid,
      blobDataPath: (digest) => {
        const hex = digest.slice('sha256:'.length)
        return join(storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data')
      },
      stop: async () => {
        await stopChild(started, childExit)
        await rm(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    if (child) await stopChild(child, exited)
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])
  if (!done) {
    child.kill('SIGKILL')
    await exited
  }
}

// ---- the proxy ---------------------------------------------------------------

export interface RecordedRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
}

export interface ForwardOptions {
  /** Send this many bytes of the body, then break the connection. */
  cutAfter?: number
  /** Send this many bytes of the body, then nothing more, keeping the connection open until the client leaves. */
  stallAfter?: number
  /** Throttle the body to about this rate. */
  bytesPerSecond?: number
  /** Forward without these request headers (e.g. "range": a registry that ignores it). */
  dropHeaders?: string[]
  /** Counts body bytes as they are sent. */
  onBytes?: (sent: number) => void
}

export interface ProxyExchange {
  req: http.IncomingMessage
  res: http.ServerResponse
  /** How many requests for this method and path came before this one. */
  seen: number
  forward(options?: ForwardOptions): Promise<void>
}

export type ProxyHandler = (exchange: ProxyExchange) => Promise<void> | void

export interface ProxyAuth {
  kind: 'bearer' | 'basic'
  /** Required for Basic, and for the token endpoint when Bearer. */
  credentials?: { username: string; password: string }
}

export interface RegistryProxy {
  host: string
  url: string
  /** Every request, token requests included, in order. */
  requests: RecordedRequest[]
  /** Decides what to do with each /v2/ request; default: forward it. */
  handler: ProxyHandler | undefined
  auth: ProxyAuth | undefined
  /** Requests to the token endpoint. */
  tokenRequests: RecordedRequest[]
  reset(): void
  stop(): Promise<void>
}

export async function startProxy(target: RegistryServer): Promise<RegistryProxy> {
  const targetUrl = new URL(target.url)
  const counts = new Map<string, number>()
  const tokens = new Map<string, string>() // token -> scope
  const sockets = new Set<import('node:net').Socket>()
  const proxy: RegistryProxy = {
    host: '',
    url: '',
    requests: [],
    tokenRequests: [],
    handler: undefined,
    auth: undefined,
    reset() {
      this.requests.length = 0
      this.tokenRequests.length = 0
      this.handler = undefined
      this.auth = undefined
      counts.clear()
      tokens.clear()
    },
    stop: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502).end(String(err))
      else res.destroy()
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const recorded = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }
    proxy.requests.push(recorded)
    const path = new URL(recorded.url, 'http://x').pathname
    if (path === '/token') {
      proxy.tokenRequests.push(recorded)
      return issueToken(req, res)
    }
    if (proxy.auth && !authorized(req, path)) return challenge(req, res, path)
    const key = `${recorded.method} ${path}`
    const seen = counts.get(key) ?? 0
    counts.set(key, seen + 1)
    const exchange: ProxyExchange = { req, res, seen, forward: (options) => forward(req, res, options) }
    await (proxy.handler ?? ((e) => e.forward()))(exchange)
  }

  function repositoryOf(path: string): string | undefined {
    return /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(path)?.[1]
  }

  /** pull for reads, push for writes (distribution's access for each method). */
  function actionOf(req: http.IncomingMessage): 'pull' | 'push' {
    return req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push'
  }

  /** Whether a token's scopes ("repository:a/b:pull,push ...") grant `action` on `repo`. */
  function grants(scope: string, repo: string, action: string): boolean {
    return scope.split(' ').some((s) => {
      const m = /^repository:(.+):([a-z*,]+)$/.exec(s)
      return m?.[1] === repo && m[2]!.split(',').some((a) => a === action || a === '*')
    })
  }

  function authorized(req: http.IncomingMessage, path: string): boolean {
    const header = req.headers.authorization ?? ''
    const auth = proxy.auth!
    if (auth.kind === 'basic') return header === basic(auth.credentials!)
    const scope = tokens.get(header.replace(/^Bearer /, ''))
    if (!header.startsWith('Bearer ') || scope === undefined) return false
    const repo = repositoryOf(path)
    if (repo === undefined) return true
    if (!grants(scope, repo, actionOf(req))) return false
    // a mount from a repository the token may not read is, as in
    // distribution, an ordinary upload: drop the mount from the request
    const url = new URL(req.url ?? '/', 'http://x')
    const from = url.searchParams.get('from')
    if (from !== null && !grants(scope, from, 'pull')) {
      url.searchParams.delete('mount')
      url.searchParams.delete('from')
      req.url = url.pathname + url.search
    }
    return true
  }

  function challenge(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    req.resume()
    const auth = proxy.auth!
    const repo = repositoryOf(path)
    const actions = actionOf(req) === 'push' ? 'pull,push' : 'pull'
    const value =
      auth.kind === 'basic'
        ? 'Basic realm="mini-run-test"'
        : `Bearer realm="${proxy.url}/token",service="mini-run-test"${repo ? `,scope="repository:${repo}:${actions}"` : ''}`
    res.writeHead(401, { 'www-authenticate': value, 'content-type': 'application/json' })
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }))
  }

  function issueToken(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume()
    const credentials = proxy.auth?.credentials
    if (credentials && req.headers.authorization !== basic(credentials)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }))
      return
    }
    const url = new URL(req.url ?? '/', 'http://x')
    const token = randomBytes(16).toString('hex')
    tokens.set(token, url.searchParams.getAll('scope').join(' '))
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }))
  }

  async function forward(req: http.IncomingMessage, res: http.ServerResponse, options: ForwardOptions = {}): Promise<void> {
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: req.headers.host ?? targetUrl.host }
    delete headers.authorization
    for (const h of options.dropHeaders ?? []) delete headers[h.toLowerCase()]
    const upstream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const out = http.request(
        { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers, agent: false },
        resolve,
      )
      out.once('error', reject)
      req.pipe(out)
    })
    res.writeHead(upstream.statusCode ?? 502, upstream.headers)
    let sent = 0
    for await (const chunk of upstream as AsyncIterable<Buffer>) {
      let data = chunk
      if (options.cutAfter !== undefined && sent + data.length >= options.cutAfter) {
        data = data.subarray(0, options.cutAfter - sent)
        await new Promise<void>((resolve) => res.write(data, () => resolve()))
        sent += data.length
        options.onBytes?.(sent)
        upstream.destroy()
        res.socket?.destroy()
        return
      }
      if (options.stallAfter !== undefined && sent + data.length >= options.stallAfter) {
        res.write(data.subarray(0, options.stallAfter - sent))
        upstream.destroy()
        await new Promise((resolve) => res.once('close', resolve))
        return
      }
      if (options.bytesPerSecond) {
        for (let offset = 0; offset < data.length; offset += 16 * 1024) {
          const piece = data.subarray(offset, offset + 16 * 1024)
          if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve))
          sent += piece.length
          options.onBytes?.(sent)
          await sleep((piece.length / options.bytesPerSecond) * 1000)
          if (res.destroyed) {
            upstream.destroy()
            return
          }
        }
        continue
      }
      if (!res.write(data)) await new Promise((resolve) => res.once('drain', resolve))
      sent += data.length
      options.onBytes?.(sent)
    }
    res.end()
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  proxy.host = `127.0.0.1:${port}`
  proxy.url = `http://127.0.0.1:${port}`
  return proxy
}

function basic(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`
}
