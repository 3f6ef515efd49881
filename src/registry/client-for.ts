/**
 * A RegistryClient for one registry as pull, push and the tag list make it:
 * the credentials config.json holds for it, the caller's insecure
 * registries, retries and idle timeout, and one abort signal for all its
 * requests.
 */
import { RegistryClient } from './client.js'
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
    ...(options.insecureRegistries && { insecureRegistries: options.insecureRegistries }),
    ...(credentials && { credentials }),
    ...(options.retry && { retry: options.retry }),
    ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
    ...(signal && { signal }),
  })
  return { client, credentials }
}
