/**
 * A RegistryClient for one registry as pull, push and the tag list make it:
 * the credentials config.json holds for it, the caller's insecure
 * registries, retries and idle timeout, and one abort signal for all its
 * requests.
 */
import { registryApiHost } from '../image/reference.js'
import { mayUseHttp, RegistryClient } from './client.js'
import { dockerConfigDir, findCredentials, type Credentials } from './docker-config.js'
import type { RetryOptions } from './retry.js'

export interface ClientForOptions {
  /** Registries (host[:port]) that may use plain HTTP or any TLS certificate. Loopback always may. */
  insecureRegistries?: readonly string[]
  retry?: RetryOptions
  /** Where config.json (credentials) is. Default: $DOCKER_CONFIG, else ~/.docker. */
  dockerConfigDir?: string
  /** A connection silent this long is broken and retried. Default 60 s. */
  idleTimeoutMs?: number
}

export async function clientFor(
  registry: string,
  options: ClientForOptions,
  signal: AbortSignal | undefined,
): Promise<{ client: RegistryClient; credentials: Credentials | undefined }> {
  const credentials = await findCredentials(registry, options.dockerConfigDir ?? dockerConfigDir())
  const client = new RegistryClient(registry, {
    insecureRegistries: await insecureFor(registry, options.insecureRegistries ?? []),
    ...(credentials && { credentials }),
    ...(options.retry && { retry: options.retry }),
    ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
    ...(signal && { signal }),
  })
  return { client, credentials }
}

/**
 * The registries that may use plain HTTP or any certificate: the caller's,
 * and those containers-registries.conf(5) marks insecure, read when the
 * registry is not already among them (podman's users' configuration works
 * for every verb, compose's too, which has no flag for it).
 */
export async function insecureFor(registry: string, listed: readonly string[]): Promise<readonly string[]> {
  if (mayUseHttp(registryApiHost(registry), listed) || mayUseHttp(registry, listed)) return listed
  const { insecureInRegistriesConf } = await import('./registries-conf.js')
  return (await insecureInRegistriesConf(registry)) ? [...listed, registry] : listed
}
