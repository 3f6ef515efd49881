import type { ImageDetails } from '../image/image-details.js'
import { configMapsInGoOrder } from '../text-order.js'

/** An image in the shape of `docker image inspect`, with mini-run's own fields after Docker's. */
export function imageInspectJson(d: ImageDetails): Record<string, unknown> {
  const c = d.config
  return {
    Id: d.id,
    RepoTags: d.repoTags,
    RepoDigests: d.repoDigests,
    Parent: '',
    Comment: c.history?.at(-1)?.comment ?? '',
    Created: c.created ?? '',
    DockerVersion: '',
    Author: c.author ?? '',
    Config: configMapsInGoOrder(c.config ?? {}),
    Architecture: c.architecture,
    ...(c.variant !== undefined && { Variant: c.variant }),
    Os: c.os,
    ...(c['os.version'] !== undefined && { OsVersion: c['os.version'] }),
    Size: d.size,
    GraphDriver: {
      Name: 'overlay',
      // overlayfs(5) lists lower dirs top first
      Data: { LowerDir: [...d.layerDirs].reverse().join(':') },
    },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: d.lastTagTime ?? '0001-01-01T00:00:00Z' },
    Name: d.name,
    ManifestDigest: d.manifestDigest,
    ChainIds: d.chainIds,
    LayerDirs: d.layerDirs,
  }
}
