/**
 * Answering a registry's 401: Bearer tokens from the realm it names (the
 * distribution token spec), or Basic. Credentials, when we have some, are
 * sent to the token endpoint; tokens are cached per scope until they expire.
 * https://distribution.github.io/distribution/spec/auth/token/
 */
import { getLogger } from '../log.js'
import type { Credentials } from './docker-config.js'
import { RegistryAuthError } from './errors.js'
import { readBody, type HttpResponse } from './http.js'
import { parseWwwAuthenticate } from './www-authenticate.js'

/** GETs a URL of the token service (with retries); supplied by the client. */
export type TokenRequester = (url: URL, headers: Record<string, string>) => Promise<HttpResponse>

interface Token {
  value: string
  expiresAt: number
}

/** The spec's default lifetime of a token that does not say. */
const DEFAULT_TOKEN_SECONDS = 60
/** Treat a token as expired a little early, so it is not used in flight. */
const EXPIRY_MARGIN_MS = 5_000
const TOKEN_RESPONSE_LIMIT = 1 << 20

export class Authenticator {
  private readonly tokens = new Map<string, Token>()
  private readonly pending = new Map<string, Promise<Token>>()
  private useBasic = false

  constructor(
    /** The registry as in references, for messages. */
    private readonly registry: string,
    private readonly credentials: Credentials | undefined,
    private readonly requestToken: TokenRequester,
    /** Whether a realm on this host may be plain HTTP. */
    private readonly allowsHttp: (host: string) => boolean,
  ) {}

  /** The Authorization header for a request in `scope`, if we have one already. */
  header(scope: string): string | undefined {
    const token = this.tokens.get(scope)
    if (token && token.expiresAt > Date.now()) return `Bearer ${token.value}`
    if (this.useBasic && this.credentials) return basicHeader(this.credentials)
    return undefined
  }

  /**
   * Reacts to a 401's WWW-Authenticate. Resolves true when the request is
   * worth sending again (a new token, or Basic credentials now attached).
   */
  async answer(wwwAuthenticate: string | undefined, scope: string): Promise<boolean> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '')
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm)
    if (bearer?.params.realm) {
      this.tokens.delete(scope)
      let pending = this.pending.get(scope)
      if (!pending) {
        pending = this.fetchToken(bearer.params.realm, bearer.params.service, bearer.params.scope, scope)
        this.pending.set(scope, pending)
        pending.then(
          () => this.pending.delete(scope),
          () => this.pending.delete(scope),
        )
      }
      this.tokens.set(scope, await pending)
      return true
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.credentials && !this.useBasic) {
      this.useBasic = true
      return true
    }
    return false
  }

  private async fetchToken(realm: string, service: string | undefined, challengeScope: string | undefined, scope: string): Promise<Token> {
    let url: URL
    try {
      url = new URL(realm)
    } catch (err) {
      throw new RegistryAuthError(`${this.registry}: invalid token realm ${JSON.stringify(realm)}`, { cause: err })
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.allowsHttp(url.host))) {
      throw new RegistryAuthError(`${this.registry}: refusing token realm ${url.href}: not HTTPS`)
    }
    if (service) url.searchParams.set('service', service)
    // `scope` may hold several (a mount reads one repository and writes another);
    // an empty one is a login's, which asks for a token without access
    for (const s of new Set([...scope.split(' '), ...(challengeScope ? challengeScope.split(' ') : [])])) {
      if (s !== '') url.searchParams.append('scope', s)
    }
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.credentials) headers.authorization = basicHeader(this.credentials)
    getLogger().debug({ realm, service, scope, user: this.credentials?.username }, 'fetching registry token')

    const res = await this.requestToken(url, headers)
    const tooLarge = (): Error => new RegistryAuthError(`${this.registry}: token response from ${url.origin} is too large`)
    const body = await readBody(res, TOKEN_RESPONSE_LIMIT, tooLarge)
    if (res.status === 401 || res.status === 403) {
      throw new RegistryAuthError(
        `${this.registry}: ${this.credentials ? `credentials of ${this.credentials.username} refused` : 'anonymous access refused'} by ${url.origin}${detail(body)}`,
        { status: res.status },
      )
    }
    if (res.status !== 200) {
      throw new RegistryAuthError(`${this.registry}: token service ${url.origin} answered ${res.status}${detail(body)}`, { status: res.status })
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown }
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed
    } catch (err) {
      throw new RegistryAuthError(`${this.registry}: token service ${url.origin} sent invalid JSON`, { cause: err })
    }
    const value = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token
    if (typeof value !== 'string' || !value) {
      throw new RegistryAuthError(`${this.registry}: token service ${url.origin} sent no token`)
    }
    const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS
    return { value, expiresAt: Date.now() + seconds * 1000 - EXPIRY_MARGIN_MS }
  }
}

export function basicHeader(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
}

function detail(body: Buffer): string {
  const text = body.toString('utf8').trim().slice(0, 200)
  return text ? `: ${text}` : ''
}
