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
    Options: null,
    Scope: 'local',
  }
}
