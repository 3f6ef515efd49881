/**
 * `system df -v`: Docker's four tables (docker/cli formatter/disk_usage.go
 * verboseWriteTable), their default columns and headers; another --format
 * runs over one object of the four lists, as Docker's does.
 */
import { basename } from 'node:path'
import type { DiskUsageDetails, ImageDiskUsage } from '../../system/disk-usage-verbose.js'
import { familiarRepository, parseReference } from '../../image/reference.js'
import { CONTAINER_HEADERS, containerRow } from '../format/container-row.js'
import { formatList } from '../format/format-list.js'
import { humanSize, humanSize4 } from '../format/units.js'
import { VOLUME_HEADERS, volumeRow } from '../format/volume-row.js'
import { humanDurationMs } from '../format-status.js'
import { IMAGE_HEADERS, timeAgo } from './images.js'

const IMAGES_TABLE = '{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}'
const CONTAINERS_TABLE = '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}'
const VOLUMES_TABLE = '{{.Name}}\t{{.Links}}\t{{.Size}}'
const BUILD_CACHE_TABLE = '{{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}'
const BUILD_CACHE_HEADERS = { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' }

/** Docker shows an image by its first tag, <none> for one without. */
function imageRow(i: ImageDiskUsage, trunc: boolean): Record<string, string> {
  const tagged = i.names.map((n) => (n.startsWith('sha256:') ? undefined : parseReference(n))).find((r) => r?.tag !== undefined)
  return {
    Containers: String(i.containers),
    CreatedSince: timeAgo(i.created),
    ID: trunc ? i.configDigest.slice(7, 19) : i.configDigest,
    Repository: tagged ? familiarRepository(tagged.repository) : '<none>',
    SharedSize: humanSize(i.sharedSize),
    Size: humanSize(i.size),
    Tag: tagged?.tag ?? '<none>',
    UniqueSize: humanSize(i.size - i.sharedSize),
  }
}

function rowsOf(d: DiskUsageDetails, trunc: boolean, now: number) {
  return {
    Images: d.images.map((i) => imageRow(i, trunc)),
    Containers: d.containers.map(({ container, size }) => {
      // Docker leaves the virtual size out here: the writable layer only
      const row = containerRow(container, { trunc, now })
      return Object.defineProperty(row, 'Size', { value: humanSize(size), enumerable: true })
    }),
    Volumes: d.volumes.map(({ volume, links, size }) => ({ ...volumeRow(volume), Links: String(links), Size: humanSize4(size) })),
    BuildCache: d.buildCache.map((r) => ({
      CacheType: r.type,
      CreatedSince: `${humanDurationMs(Math.max(0, now - r.created))} ago`,
      // Docker marks a record in use with a star
      ID: `${trunc ? basename(r.id).slice(0, 12) : r.id}${r.inUse ? '*' : ''}`,
      LastUsedSince: `${humanDurationMs(Math.max(0, now - r.lastUsed))} ago`,
      Shared: String(r.shared),
      Size: humanSize(r.size),
      // mini-run does not count uses
      UsageCount: 'N/A',
    })),
  }
}

export function formatDiskUsageDetails(d: DiskUsageDetails, format: string | undefined, now = Date.now()): string {
  const table = format === undefined || format === '' || format === 'table'
  const rows = rowsOf(d, table, now)
  if (!table) return formatList(format, [rows], { defaultTable: '', headers: {} })
  return [
    'Images space usage:\n\n',
    formatList(undefined, rows.Images, { defaultTable: IMAGES_TABLE, headers: IMAGE_HEADERS }),
    '\nContainers space usage:\n\n',
    formatList(undefined, rows.Containers, { defaultTable: CONTAINERS_TABLE, headers: CONTAINER_HEADERS }),
    '\nLocal Volumes space usage:\n\n',
    formatList(undefined, rows.Volumes, { defaultTable: VOLUMES_TABLE, headers: VOLUME_HEADERS }),
    `\nBuild cache usage: ${humanSize4(d.buildCacheSize)}\n\n`,
    formatList(undefined, rows.BuildCache, { defaultTable: BUILD_CACHE_TABLE, headers: BUILD_CACHE_HEADERS }),
  ].join('')
}
