/**
 * A client of one registry's /v2/ API: picks HTTPS or (for local and
 * insecure registries) plain HTTP, authenticates, and retries 429, 5xx and
 * broken connections. It answers with the raw response; manifest.ts and
 * blob-stream.ts read and verify the bodies.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 */
import { isIP } from 'node:net'
import type { Readable } from 'node:stream'
import { registryApiHost } from '../image/reference.js'
import { getLogger } from '../log.js'
import { Authenticator } from './auth.js'
import type { Credentials } from './docker-config.js'
import { RegistryAuthError, RegistryError } from './errors.js'
import { httpRequest, isNetworkError, readBody, type HttpMethod, type HttpResponse } from './http.js'
import { Backoff, isRetryableStatus, parseRetryAfter, type RetryOptions } from './retry.js'

export interface RegistryClientOptions {
  /** Registries (host[:port]) that may be reached over plain HTTP or with any TLS certificate. */
  insecureRegistries?: readonly string[]
  /** Sent as Basic, or to the token service; see findCredentials. */
  credentials?: Credentials
  retry?: RetryOptions
  /** Aborts every request of this client. */
  signal?: AbortSignal
  /** A connection silent for this long is broken (and retried). Default 60 s. */
  idleTimeoutMs?: number
}

export interface RegistryRequest {
  /** The repository the request is about: its scope is what we authenticate for. */
  repository: string
  /**
   * Under /v2/<repository>/, e.g. "manifests/latest"; or a URL the registry
   * gave (an upload's Location), which gets our credentials only on the
   * registry's own host.
   */
  path: string | URL
  method?: HttpMethod
  headers?: Record<string, string>
  /**
   * Bytes to send, or a function that opens them anew for each try (a blob
   * from disk). A request with a stream is sent again only to answer a 401:
   * after a broken connection or a 5xx, the upload it belongs to is in an
   * unknown state and the caller starts over.
   */
  body?: Buffer | (() => Readable)
  /** The actions on `repository` to authenticate for: "pull" (default), or "pull,push". */
  actions?: string
  /** More scopes for the same token: a cross-repository mount reads its source repository. */
  extraScopes?: string[]
  /** What the request is, for messages: "manifest 127.0.0.1:5000/busybox:latest". */
  what: string
}


const ERROR_BODY_LIMIT = 64 * 1024

export class RegistryClient {
  /** The API host[:port]: registry-1.docker.io for docker.io. */
  readonly host: string
  private scheme: 'https:' | 'http:' | undefined
  /** The registry has answered once: a refused connection after that may be a restart, worth retrying. */
  private answered = false
  private readonly insecure: boolean
  private readonly auth: Authenticator

  constructor(
    /** The registry as written in references: "docker.io", "127.0.0.1:5000". */
    readonly registry: string,
    private readonly options: RegistryClientOptions = {},
  ) {
    this.host = registryApiHost(registry)
    this.insecure = mayUseHttp(this.host, options.insecureRegistries ?? []) || mayUseHttp(registry, options.insecureRegistries ?? [])
    this.auth = new Authenticator(
      registry,
      options.credentials,
      (url, headers) => this.send(url, headers, `token from ${url.origin}`),
      (host) => mayUseHttp(host, options.insecureRegistries ?? []),
    )
  }

  /**
   * Sends a request about a repository and resolves with the registry's
   * answer once it is not a 401 we can answer, a 429/5xx we may retry, or a
   * broken connection. Any status may come back: see `failure`.
   */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    const scope = [`repository:${req.repository}:${req.actions ?? 'pull'}`, ...(req.extraScopes ?? [])].join(' ')
    const send = (): Promise<HttpResponse> => {
      const url =
        req.path instanceof URL ? req.path : new URL(`/v2/${req.repository}/${req.path}`, `${this.scheme ?? 'https:'}//${this.host}`)
      const authorization = url.host === this.host ? this.auth.header(scope) : undefined
      const body = typeof req.body === 'function' ? req.body() : req.body
      return this.send(url, { ...req.headers, ...(authorization ? { authorization } : {}) }, req.what, req.method, body)
    }
    const res = await send()
    if (res.status !== 401) return res
    const answered = await this.auth.answer(res.headers['www-authenticate'], scope).catch((err: unknown) => {
      res.body.destroy()
      throw err
    })
    if (!answered) return res
    res.body.resume()
    return send() // once: a second 401 is the caller's to report
  }

  /**
   * GET /v2/, authenticated with no repository scope, as `docker login`
   * checks credentials: 200 means the registry accepts them.
   */
  async ping(what: string): Promise<HttpResponse> {
    const url = (): URL => new URL('/v2/', `${this.scheme ?? 'https:'}//${this.host}`)
    const withAuth = (): Record<string, string> => {
      const authorization = this.auth.header('')
      return authorization ? { authorization } : {}
    }
    const res = await this.send(url(), withAuth(), what)
    if (res.status !== 401) return res
    const answered = await this.auth.answer(res.headers['www-authenticate'], '').catch((err: unknown) => {
      res.body.destroy()
      throw err
    })
    if (!answered) return res
    res.body.resume()
    return this.send(url(), withAuth(), what)
  }

  /** The error for an answer that is not what we asked for, with the registry's own message. */
  async failure(res: HttpResponse, what: string): Promise<RegistryError> {
    let body = ''
    try {
      body = (await readBody(res, ERROR_BODY_LIMIT, () => new Error('too large'))).toString('utf8')
    } catch {
      res.body.destroy()
    }
    const message = `${what}: ${registryMessage(res.status, body)}`
    if (res.status === 401 || res.status === 403) {
      const hint = this.options.credentials
        ? `; the credentials of ${this.options.credentials.username} do not give access to it`
        : `; the repository may not exist, or may need credentials (mini-run login ${this.registry})`
      return new RegistryAuthError(message + hint, { status: res.status })
    }
    return new RegistryError(message, { status: res.status })
  }

  /**
   * One request, with retries of broken connections and of 429/5xx (unless
   * it streams a body: see RegistryRequest.body), and the HTTP fallback.
   */
  private async send(url: URL, headers: Record<string, string>, what: string, method: HttpMethod = 'GET', body?: Buffer | Readable): Promise<HttpResponse> {
    const log = getLogger()
    const backoff = new Backoff(body === undefined || Buffer.isBuffer(body) ? this.options.retry : { ...this.options.retry, attempts: 1 })
    const signal = this.options.signal
    for (;;) {
      const target = url.host === this.host && this.scheme ? withProtocol(url, this.scheme) : url
      let res: HttpResponse
      try {
        res = await httpRequest(target, {
          method,
          headers,
          ...(body !== undefined && { body }),
          insecureTls: this.insecure,
          ...(signal ? { signal } : {}),
          ...(this.options.idleTimeoutMs ? { idleTimeoutMs: this.options.idleTimeoutMs } : {}),
        })
      } catch (err) {
        // Docker's rule for insecure registries: try HTTPS, and if it cannot
        // even connect, speak plain HTTP to that host from then on.
        // (Requests sent at once all try HTTPS: those that fail after another
        // one made the switch go straight to HTTP, without a backoff.)
        if (target.host === this.host && target.protocol === 'https:' && this.scheme !== 'https:' && this.insecure && isNetworkError(err) && !isStream(body)) {
          log.debug({ err, host: this.host }, 'HTTPS failed, falling back to plain HTTP')
          this.scheme = 'http:'
          continue
        }
        // nothing listens there and nothing ever did (a wrong port, a registry
        // not started): said at once, as Docker does, not after the retries
        const refusedOutright = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' && !this.answered && target.host === this.host
        // a registry that speaks plain HTTP, asked in TLS: no retry makes it speak TLS
        const plainHttp = target.protocol === 'https:' && isPlainHttpAnswer(err)
        if (plainHttp) {
          throw new RegistryError(
            `${what}: ${target.origin}: server gave HTTP response to HTTPS client (a registry without TLS: --insecure-registry ${this.registry}, or insecure = true in registries.conf)`,
            { cause: err },
          )
        }
        if (isNetworkError(err) && backoff.canRetry && !refusedOutright) {
          log.debug({ err, url: target.href }, 'request failed, retrying')
          await backoff.wait(signal)
          continue
        }
        if (signal?.aborted) throw signal.reason
        throw new RegistryError(`${what}: ${target.origin}: ${(err as Error).message}`, { cause: err })
      }
      if (target.host === this.host) {
        this.scheme ??= target.protocol === 'http:' ? 'http:' : 'https:'
        this.answered = true
      }
      if (isRetryableStatus(res.status) && backoff.canRetry) {
        res.body.resume()
        const retryAfter = parseRetryAfter(firstHeader(res.headers['retry-after']))
        log.debug({ status: res.status, url: target.href, retryAfter }, 'registry busy or failing, retrying')
        await backoff.wait(signal, retryAfter)
        continue
      }
      return res
    }
  }
}

function isStream(body: Buffer | Readable | undefined): boolean {
  return body !== undefined && !Buffer.isBuffer(body)
}

function withProtocol(url: URL, protocol: string): URL {
  const copy = new URL(url.href)
  copy.protocol = protocol
  return copy
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** OpenSSL's error for a TLS handshake answered in plain text: an HTTP server's "HTTP/1.1 400". */
function isPlainHttpAnswer(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException & { reason?: string }
  return e.code === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(`${e.reason ?? ''} ${e.message}`)
}

/**
 * Whether `host` (host[:port]) may be spoken to over plain HTTP: the loopback
 * addresses, as Docker allows them by default, and the registries the user
 * listed as insecure (`host` or `host:port`).
 */
export function mayUseHttp(host: string, insecureRegistries: readonly string[]): boolean {
  const hostname = stripPort(host)
  if (hostname === 'localhost' || hostname === '::1') return true
  if (isIP(hostname) === 4 && hostname.startsWith('127.')) return true
  return insecureRegistries.some((entry) => {
    const e = entry.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase()
    return e === host.toLowerCase() || e === hostname
  })
}

/** "host:port" -> "host", "[::1]:5000" -> "::1". */
function stripPort(host: string): string {
  const lower = host.toLowerCase()
  if (lower.startsWith('[')) return lower.slice(1, lower.indexOf(']'))
  const colon = lower.lastIndexOf(':')
  return colon >= 0 && lower.indexOf(':') === colon ? lower.slice(0, colon) : lower
}

/** The distribution spec's error body {"errors":[{code,message,detail}]} as one line. */
function registryMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: unknown; message?: unknown }> }
    const parts = (parsed.errors ?? [])
      .map((e) => (typeof e.message === 'string' && e.message ? e.message : typeof e.code === 'string' ? e.code.toLowerCase() : ''))
      .filter(Boolean)
    if (parts.length > 0) return `${parts.join('; ')} (HTTP ${status})`
  } catch {
    // not JSON: fall through
  }
  const text = body.trim().replace(/\s+/g, ' ').slice(0, 200)
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`
}
