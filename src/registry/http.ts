/**
 * One HTTP exchange with node:http(s): redirects, TLS choice, idle timeout,
 * cancellation. No retries and no authentication here (see client.ts).
 *
 * node:http rather than fetch: bodies are Node streams with backpressure all
 * the way to the socket, nothing is decompressed behind our back (a blob's
 * digest is over its bytes as sent), and an insecure registry's certificate
 * can be accepted per request.
 */
import http from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import { RegistryError } from './errors.js'
import { trustOptions } from './extra-ca-certs.js'

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface HttpRequestOptions {
  method?: HttpMethod
  headers?: Record<string, string>
  /**
   * What to send. A stream is read once: a request with one is not
   * redirected (its bytes are gone), and its Content-Length is the caller's
   * to set.
   */
  body?: Buffer | Readable
  signal?: AbortSignal
  /** Accept any TLS certificate (a registry given with --insecure-registry). */
  insecureTls?: boolean
  /** Fail when no byte arrives for this long, headers or body. Default 60 s. */
  idleTimeoutMs?: number
  maxRedirects?: number
}

export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  /** Read it to the end or destroy it, or the socket is never reused. */
  body: http.IncomingMessage
  /** The URL that answered, after redirects. */
  url: URL
}

const agents = {
  http: new http.Agent({ keepAlive: true }),
  // made on first use: its trust may read NODE_EXTRA_CA_CERTS (extra-ca-certs.ts)
  https: undefined as https.Agent | undefined,
  httpsInsecure: new https.Agent({ keepAlive: true, rejectUnauthorized: false }),
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

export async function httpRequest(url: URL, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const headers = { ...options.headers }
  const maxRedirects = options.maxRedirects ?? 10
  let current = url
  for (let redirects = 0; ; redirects++) {
    // An insecure registry's leniency does not extend to where it redirects.
    const res = await send(current, headers, { ...options, insecureTls: options.insecureTls === true && current.host === url.host })
    const location = res.headers.location
    // An upload's 202 carries a Location too, which is not a redirect; and
    // a request that sent a body cannot send it again elsewhere.
    const method = options.method ?? 'GET'
    if (!REDIRECTS.has(res.status) || location === undefined || (method !== 'GET' && method !== 'HEAD')) return res
    res.body.resume()
    if (redirects >= maxRedirects) {
      throw new RegistryError(`too many redirects from ${url.href}`, { status: res.status })
    }
    const next = new URL(location, current)
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new RegistryError(`refusing redirect from ${current.href} to ${next.href}`)
    }
    if (current.protocol === 'https:' && next.protocol === 'http:') {
      throw new RegistryError(`refusing redirect from HTTPS to plain HTTP: ${next.href}`)
    }
    // Registries send blobs to a CDN with a signed URL: our credentials are for
    // the registry only and must not follow (the fetch spec does the same).
    if (next.origin !== current.origin) delete headers.authorization
    current = next
  }
}

function send(url: URL, headers: Record<string, string>, options: HttpRequestOptions): Promise<HttpResponse> {
  const secure = url.protocol === 'https:'
  const agent = secure ? (options.insecureTls ? agents.httpsInsecure : (agents.https ??= new https.Agent({ keepAlive: true, ...trustOptions() }))) : agents.http
  const request = secure ? https.request : http.request
  return new Promise((resolve, reject) => {
    const method = options.method ?? 'GET'
    // a POST or PUT without a body says so, rather than chunked nothing
    let length: Record<string, string> = {}
    if (Buffer.isBuffer(options.body)) length = { 'content-length': String(options.body.length) }
    else if (options.body === undefined && method !== 'GET' && method !== 'HEAD') length = { 'content-length': '0' }
    const req = request(url, {
      method,
      headers: { 'user-agent': 'mini-run', ...length, ...headers },
      agent,
      ...(options.signal ? { signal: options.signal } : {}),
    })
    req.setTimeout(options.idleTimeoutMs ?? 60_000, () => {
      req.destroy(Object.assign(new Error(`no data from ${url.host} for ${(options.idleTimeoutMs ?? 60_000) / 1000} s`), { code: 'ETIMEDOUT' }))
    })
    // `on`, not `once`: a server may answer (a 401, a 413) before it has
    // read the whole body, and the rest of the upload then fails on its own
    req.on('error', reject)
    req.once('response', (body) => {
      resolve({ status: body.statusCode ?? 0, headers: body.headers, body, url })
    })
    const body = options.body
    if (body === undefined) req.end()
    else if (Buffer.isBuffer(body)) req.end(body)
    else {
      body.once('error', (err) => req.destroy(err))
      body.pipe(req)
    }
  })
}

/**
 * Reads a whole body of at most `limit` bytes. A larger one is refused before
 * it is read when Content-Length says so, or as soon as it passes the limit.
 */
export async function readBody(res: HttpResponse, limit: number, onTooLarge: () => Error): Promise<Buffer> {
  const declared = Number(res.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy()
    throw onTooLarge()
  }
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    length += chunk.length
    if (length > limit) {
      res.body.destroy()
      throw onTooLarge()
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, length)
}

/** Node's network errors that say "try again", as opposed to our own verification errors. */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'AbortError') return false
  const code = (err as NodeJS.ErrnoException).code
  if (code === undefined) return err.message === 'aborted' || err.message === 'socket hang up'
  return (
    code.startsWith('ECONN') ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('ERR_TLS') ||
    [
      'EPIPE',
      'ETIMEDOUT',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ENETDOWN',
      'EPROTO',
      'ERR_STREAM_PREMATURE_CLOSE',
      'HPE_INVALID_CONSTANT',
      'HPE_INVALID_CHUNK_SIZE',
      'HPE_UNEXPECTED_CONTENT_LENGTH',
    ].includes(code)
  )
}
