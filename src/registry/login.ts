/**
 * `mini-run login` and `logout`: check credentials against the registry,
 * then keep them where Docker does (docker-config.ts), so that `pull`,
 * `push` and Docker itself all use them.
 */
import { UsageError } from '../errors.js'
import { DEFAULT_DOMAIN } from '../image/reference.js'
import { RegistryClient } from './client.js'
import { insecureFor } from './client-for.js'
import { dockerConfigDir, removeCredentials, storeCredentials, type Credentials, type StoredCredentials } from './docker-config.js'
import { RegistryAuthError } from './errors.js'

export interface LoginOptions {
  insecureRegistries?: readonly string[]
  /** Default: $DOCKER_CONFIG, else ~/.docker. */
  dockerConfigDir?: string
  signal?: AbortSignal
}

/**
 * The registry a user names ("localhost:5000", "https://host/v1/",
 * "docker.io", nothing): host[:port] as in references, docker.io for
 * Docker Hub.
 */
export function normalizeRegistry(server: string | undefined): string {
  if (server === undefined || server === '') return DEFAULT_DOMAIN
  const host = server.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase()
  if (host === '' || /[^a-z0-9.:[\]-]/.test(host)) throw new UsageError(`invalid registry ${JSON.stringify(server)}: expected HOST[:PORT]`, { code: 'EBADREF' })
  return ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(host) ? DEFAULT_DOMAIN : host
}

/**
 * Log in: GET /v2/ with the credentials (Basic, or a token from the
 * registry's token service, as the registry asks) must be answered 200;
 * only then are they stored. Throws RegistryAuthError when refused.
 */
export async function login(server: string | undefined, credentials: Credentials, options: LoginOptions = {}): Promise<StoredCredentials & { registry: string }> {
  const registry = await checkLogin(server, credentials, options)
  const stored = await storeCredentials(registry, credentials, options.dockerConfigDir ?? dockerConfigDir())
  return { ...stored, registry }
}

/** login's check alone, storing nothing (the API's /auth): the registry, as references name it. */
export async function checkLogin(server: string | undefined, credentials: Credentials, options: Omit<LoginOptions, 'dockerConfigDir'> = {}): Promise<string> {
  const registry = normalizeRegistry(server)
  if (credentials.username === '') throw new UsageError('login: a username is required', { code: 'EUSAGE' })
  if (credentials.password === '') throw new UsageError('login: a password is required', { code: 'EUSAGE' })
  const client = new RegistryClient(registry, {
    credentials,
    insecureRegistries: await insecureFor(registry, options.insecureRegistries ?? []),
    ...(options.signal && { signal: options.signal }),
  })
  const what = `login to ${registry}`
  const res = await client.ping(what)
  if (res.status === 401 || res.status === 403) {
    res.body.resume()
    throw new RegistryAuthError(`${what} failed: the credentials of ${credentials.username} were refused (HTTP ${res.status})`, { status: res.status })
  }
  if (res.status !== 200) throw await client.failure(res, what)
  res.body.resume()
  return registry
}

/** Log out: forget the stored credentials. False when there were none. */
export async function logout(server: string | undefined, options: Pick<LoginOptions, 'dockerConfigDir'> = {}): Promise<{ registry: string; removed: boolean }> {
  const registry = normalizeRegistry(server)
  const removed = await removeCredentials(registry, options.dockerConfigDir ?? dockerConfigDir())
  return { registry, removed }
}
