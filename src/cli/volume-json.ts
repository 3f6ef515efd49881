import { volumeLabels, type VolumeInfo } from '../runtime/container/volume-store.js'

/** A volume in the shape of `docker volume inspect` (its keys in Docker's order). */
export function volumeJson(v: VolumeInfo): Record<string, unknown> {
  const labels = volumeLabels(v)
  return {
    CreatedAt: v.created.replace(/\.\d+Z$/, 'Z'),
    Driver: v.driver,
    Labels: Object.keys(labels).length ? labels : null,
    Mountpoint: v.mountpoint,
    Name: v.name,
    // a Go map: json prints its keys sorted
    Options: v.options ? Object.fromEntries(Object.keys(v.options).sort().map((k) => [k, v.options![k]])) : null,
    Scope: 'local',
  }
}
