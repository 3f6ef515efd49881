/**
 * GET /system/df and the prunes (POST /containers/prune, /images/prune,
 * /volumes/prune, /networks/prune, /build/prune): what `docker system df`
 * and `docker system prune` call. Both are the library's, as `mini-run
 * system df -v` and the prune verbs call it (src/system/): the numbers and
 * what goes are the same at the shell and through the socket, and each
 * prune logs its events there. The filters are the verbs' own readers;
 * the client adds the pruneFilters of its config.json itself, as Docker's
 * daemon never reads one.
 */
import { ApiError } from './cli-call.js'
import { queryBool, queryFilters, sendJson } from './api-http.js'
import { containerSummary, unixSeconds } from './container-summary.js'
import type { Call, Service } from './service.js'
import { ImageStore } from '../image/store.js'
import { UsageError } from '../errors.js'
import { familiarRepository, parseReference } from '../image/reference.js'
import { inspectJson } from '../cli/inspect-json.js'
import { statusText } from '../cli/format-status.js'
import { volumeJson } from '../cli/volume-json.js'
import { dockerStatus } from '../runtime/container/filter-containers.js'
import type { SystemContext } from '../system/resources.js'

const context = (svc: Service): SystemContext => ({ store: new ImageStore({ root: svc.storeRoot }), stateRoot: svc.stateRoot })

/** A filter the verbs' readers refuse is Docker's 400 (its daemon's InvalidParameter). */
async function badInput<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof UsageError) throw new ApiError(400, err.message)
    throw err
  }
}

/** GET /system/df: Docker's DiskUsage (LayersSize, Images, Containers, Volumes, BuildCache), from `system df -v`'s details. */
export async function dfRoute({ svc, res }: Call): Promise<void> {
  const ctx = context(svc)
  const [{ systemDiskUsageDetails }, { imageUsage }] = await Promise.all([import('../system/disk-usage-verbose.js'), import('../system/image-resource.js')])
  const details = await systemDiskUsageDetails(ctx)
  const images = details.images.map((i) => {
    const refs = i.names.flatMap((n) => {
      try {
        return n.startsWith('sha256:') ? [] : [parseReference(n)]
      } catch {
        return []
      }
    })
    return {
      Id: i.configDigest,
      ParentId: '',
      RepoTags: refs.filter((r) => r.tag !== undefined).map((r) => `${familiarRepository(r.repository)}:${r.tag}`),
      RepoDigests: refs.filter((r) => r.digest !== undefined).map((r) => `${familiarRepository(r.repository)}@${r.digest}`),
      Created: unixSeconds(i.created),
      Size: i.size,
      VirtualSize: i.size,
      SharedSize: i.sharedSize,
      Labels: {},
      Containers: i.containers,
    }
  })
  const byImage = new Map(details.images.map((i) => [i.configDigest, i.size]))
  const now = Date.now()
  const containers = details.containers.map(({ container, size }) => {
    const inspect = inspectJson(container)
    return {
      ...containerSummary(inspect, { text: statusText(container, now), state: dockerStatus(container) }),
      SizeRw: size,
      SizeRootFs: size + (byImage.get(String(inspect.Image ?? '')) ?? 0),
    }
  })
  const volumes = details.volumes.map(({ volume, links, size }) => ({ ...volumeJson(volume), UsageData: { Size: size, RefCount: links } }))
  const buildCache = details.buildCache.map((r) => ({
    ID: r.id,
    Parent: '',
    Type: r.type,
    Description: r.type === 'exec.cachemount' ? 'cached mount' : 'a build step',
    InUse: r.inUse,
    Shared: r.shared,
    Size: r.size,
    CreatedAt: new Date(r.created).toISOString(),
    LastUsedAt: new Date(r.lastUsed).toISOString(),
    UsageCount: 0,
  }))
  sendJson(res, 200, { LayersSize: (await imageUsage(ctx)).size, Images: images, Containers: containers, Volumes: volumes, BuildCache: buildCache })
}

/** POST /containers/prune: {ContainersDeleted, SpaceReclaimed}. */
export async function containersPruneRoute({ svc, res, query }: Call): Promise<void> {
  const { parsePruneFilter } = await import('../cli/prune-filter-flags.js')
  const filter = await badInput(() => parsePruneFilter(queryFilters(query)))
  const { pruneContainers } = await import('../system/container-resource.js')
  const { removed, reclaimedBytes } = await pruneContainers(svc.stateRoot, svc.storeRoot, filter)
  sendJson(res, 200, { ContainersDeleted: removed.length ? removed : null, SpaceReclaimed: reclaimedBytes })
}

/**
 * POST /images/prune: {ImagesDeleted: [{Untagged}, {Deleted}], SpaceReclaimed}.
 * dangling=false takes every image no container uses (`image prune -a`).
 */
export async function imagesPruneRoute({ svc, res, query }: Call): Promise<void> {
  const { danglingFalse, parsePruneFilter } = await import('../cli/prune-filter-flags.js')
  const filter = await badInput(() => parsePruneFilter(queryFilters(query), ['until', 'label', 'label!', 'dangling']))
  // the client says dangling=false for -a; none is the daemon's default, true
  const all = await badInput(() => danglingFalse(filter?.dangling ?? []))
  const { pruneImages } = await import('../system/image-resource.js')
  const result = await pruneImages(context(svc), { all, ...(filter && { filter }) })
  const deleted = result.removed.map((line) => (line.startsWith('untagged: ') ? { Untagged: line.slice(10) } : { Deleted: line.replace(/^deleted: /, '') }))
  sendJson(res, 200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: result.reclaimedBytes })
}

/**
 * POST /volumes/prune: {VolumesDeleted, SpaceReclaimed}. API 1.41's prune
 * takes every unused volume, named ones too (Docker 20.10's); a client of
 * 1.42 and later sends all= itself, false for the anonymous ones alone, as
 * moby's router adds all=true only for the older versions.
 */
export async function volumesPruneRoute({ svc, res, query }: Call): Promise<void> {
  const { parseVolumeFilters, pruneSelection } = await import('../runtime/container/volume-filter.js')
  const filters = queryFilters(query)
  if (!filters.some((f) => f.startsWith('all='))) filters.push('all=true')
  const selection = await badInput(() => pruneSelection(parseVolumeFilters(filters, { prune: true })))
  const { pruneVolumesMeasured } = await import('../system/volume-resource.js')
  const { removed, reclaimedBytes } = await pruneVolumesMeasured(svc.storeRoot, svc.stateRoot, selection)
  sendJson(res, 200, { VolumesDeleted: removed.length ? removed : null, SpaceReclaimed: reclaimedBytes })
}

/** POST /networks/prune: {NetworksDeleted}. */
export async function networksPruneRoute({ svc, res, query }: Call): Promise<void> {
  const { networkPruneSelection } = await import('../cli/network-prune-filter.js')
  const only = await badInput(() => networkPruneSelection(queryFilters(query)))
  const { pruneNetworks } = await import('../network/manage.js')
  const removed = pruneNetworks(svc.storeRoot, svc.stateRoot, only ? { only } : {})
  sendJson(res, 200, { NetworksDeleted: removed.length ? removed : null })
}

/**
 * POST /build/prune?all=&keep-storage=&filters=: the build cache, as
 * `builder prune` takes it (until and BuildKit's unused-for name the same
 * age), {CachesDeleted, SpaceReclaimed}. A cache record has no labels:
 * label= (which `docker system prune --filter` passes on) selects none of
 * them, label!= all of them.
 */
export async function buildPruneRoute({ svc, res, query }: Call): Promise<void> {
  const { parseDuration } = await import('../duration.js')
  let unusedForMs: number | undefined
  let labelled = false
  for (const f of queryFilters(query)) {
    const [key, value] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]
    if (key === 'label' || key === 'label!') labelled ||= key === 'label'
    else if (key !== 'until' && key !== 'unused-for') throw new ApiError(400, `invalid filter '${f}': the build cache takes until=DURATION`)
    // moby's builder refuses a second age (toBuildkitPruneInfo)
    else if (unusedForMs !== undefined) throw new ApiError(400, 'conflicting filters: only one of until or unused-for can be given')
    else unusedForMs = await badInput(() => parseDuration(value) / 1e6)
  }
  if (labelled) return sendJson(res, 200, { CachesDeleted: [], SpaceReclaimed: 0 })
  const keep = query.get('keep-storage')
  const keepBytes = keep !== null && keep !== '' && keep !== '0' ? Number(keep) : undefined
  if (keepBytes !== undefined && !(Number.isSafeInteger(keepBytes) && keepBytes > 0)) throw new ApiError(400, `invalid keep-storage: ${keep}`)
  const { pruneBuildCache } = await import('../system/build-cache-prune.js')
  const { removed, reclaimedBytes } = await pruneBuildCache(context(svc), {
    all: queryBool(query, 'all'),
    ...(unusedForMs !== undefined && { unusedForMs }),
    ...(keepBytes !== undefined && { keepBytes }),
  })
  sendJson(res, 200, { CachesDeleted: removed, SpaceReclaimed: reclaimedBytes })
}
