/**
 * `volume ls`'s columns for --format (docker/cli cli/command/formatter/
 * volume.go): its fields, in the alphabetical order `{{json .}}` gives
 * them, and `.Label NAME` as a method. Links and Size are Docker's "N/A"
 * too: its `volume ls` does not count them (only `system df -v` does);
 * Group, Availability and Status are a cluster volume's.
 */
import { volumeLabels, type VolumeInfo } from '../../runtime/container/volume-store.js'

/** Docker's default columns, and `-q`'s. */
export const VOLUMES_TABLE = '{{.Driver}}\t{{.Name}}'
export const VOLUMES_QUIET = '{{.Name}}'

export const VOLUME_HEADERS: Record<string, string> = {
  Availability: 'AVAILABILITY',
  Driver: 'DRIVER',
  Group: 'GROUP',
  Labels: 'LABELS',
  Links: 'LINKS',
  Mountpoint: 'MOUNTPOINT',
  Name: 'VOLUME NAME',
  Scope: 'SCOPE',
  Size: 'SIZE',
  Status: 'STATUS',
}

export function volumeRow(v: VolumeInfo): Record<string, unknown> {
  const labels = volumeLabels(v)
  return {
    Availability: 'N/A',
    Driver: v.driver,
    Group: 'N/A',
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Links: 'N/A',
    Mountpoint: v.mountpoint,
    Name: v.name,
    Scope: 'local',
    Size: 'N/A',
    Status: 'N/A',
    Label: (name: unknown) => labels[String(name)] ?? '',
  }
}
