/**
 * Whether `up` must recreate a service's container: the hash of what the
 * container would be made from (the service's configuration, the image it
 * resolves to, the real names of its networks and volumes), kept in its
 * com.docker.compose.config-hash label. The same hash: the container is
 * left as it is; another one: it is recreated. The number of replicas,
 * the pull policy and how the image is built are not part of it (they
 * change what `up` does, not what a container is), as in Docker Compose;
 * nor are develop's watch triggers (Docker Compose's hash has them: a
 * changed ignore pattern would recreate a container that is the same).
 */
import { createHash } from 'node:crypto'
import type { Service } from './model.js'
import type { JoinedNetwork } from './service-flags.js'

/** JSON with object keys sorted: the same configuration, the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** references: the containers it joins (service -> id), left out when none, so that other services' hashes stay as they were. */
export function configHash(service: Service, imageId: string, networks: JoinedNetwork[], volumeNames: Record<string, string>, references?: Record<string, string>): string {
  return createHash('sha256').update(canonicalJson({ service: hashed(service), imageId, networks, volumeNames, references })).digest('hex')
}

/**
 * `config --hash`: the hash of the service's configuration alone, as the
 * file says it (docker compose's ServiceHash): it changes when the service
 * does. The containers' label also holds what the file resolves to (the
 * image's id, the networks' and volumes' real names), so the two differ.
 */
export function serviceHash(service: Service): string {
  // nor its dependencies, as docker compose's ServiceHash leaves out depends_on
  const { dependsOn: _dependsOn, ...rest } = hashed(service)
  return createHash('sha256').update(canonicalJson(rest)).digest('hex')
}

/** What of a service makes its containers what they are. */
function hashed(service: Service): Partial<Service> {
  // the log driver's name changes nothing either: json-file and local both log as json-file
  const { replicas: _replicas, pullPolicy: _pull, pullPolicyText: _text, pullRefresh: _refresh, build: _build, profiles: _profiles, logDriver: _logDriver, develop: _develop, ...rest } = service
  return rest
}
