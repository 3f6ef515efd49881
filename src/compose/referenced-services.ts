/**
 * The services a service's container joins or takes from (network_mode,
 * pid and ipc `service:NAME`, volumes_from a service): what must exist
 * first, and what a replacement of theirs drags along (up.ts's joining
 * services). Apart from service-container.ts so the loader can read it.
 */
import type { Service } from './model.js'

export function referencedServices(service: Service): string[] {
  const shared = (['network_mode', 'pid', 'ipc'] as const).flatMap((key) => sharedService(service, key) ?? [])
  return [...new Set([...shared, ...service.volumesFrom.flatMap((v) => (v.service !== undefined ? [v.service] : []))])]
}

/** network_mode, pid or ipc: service:NAME, NAME. */
export function sharedService(service: Service, key: 'network_mode' | 'pid' | 'ipc'): string | undefined {
  const mode = key === 'network_mode' ? service.networkMode : service[key]
  return mode?.startsWith('service:') ? mode.slice('service:'.length) : undefined
}
