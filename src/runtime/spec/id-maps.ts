/**
 * User namespace id maps (user_namespaces(7)): each line says that `size`
 * ids from `containerID` inside are `hostID` onwards outside.
 */
import type { IdMapping } from './spec.js'

/** The text of /proc/<pid>/uid_map ("0 100000 65536\n"); with ", " for messages. */
export function formatIdMap(maps: readonly IdMapping[], separator = ', '): string {
  const lines = maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`)
  return separator === '\n' ? lines.map((l) => l + '\n').join('') : lines.join(separator) || '(none)'
}

/** The container's id for a host id (hostId's inverse); unmapped ids show as the overflow id 65534. */
export function containerId(maps: readonly IdMapping[] | undefined, id: number): number {
  if (!maps) return id
  const m = maps.find((e) => id >= e.hostID && id < e.hostID + e.size)
  return m ? m.containerID + (id - m.hostID) : 65534
}

/** The host's id for a container id; unmapped ids show as the overflow id 65534. */
export function hostId(maps: readonly IdMapping[] | undefined, id: number): number {
  if (!maps) return id
  const m = maps.find((e) => id >= e.containerID && id < e.containerID + e.size)
  return m ? m.hostID + (id - m.containerID) : 65534
}
