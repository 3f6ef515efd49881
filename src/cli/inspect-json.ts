import type { ResolvedImage } from '../image/store-types.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { dockerStatus, networkMode } from '../runtime/container/filter-containers.js'

const ZERO_TIME = '0001-01-01T00:00:00Z'

/** The container in the shape of `docker inspect` (its keys in Docker's order), for the fields mini-run has. */
export function inspectJson(c: ContainerInfo, o: { logPath?: string; size?: { rw: number; rootFs: number } } = {}): Record<string, unknown> {
  const spec = c.spec
  const status = dockerStatus(c)
  return {
    Id: c.id,
    Created: c.created,
    Path: c.command[0] ?? '',
    Args: c.command.slice(1),
    State: {
      Status: status,
      Running: c.status === 'running',
      Paused: status === 'paused',
      Restarting: status === 'restarting',
      OOMKilled: c.oomKilled,
      Dead: false,
      Pid: c.status === 'running' ? c.pid ?? 0 : 0,
      ExitCode: c.exitCode ?? 0,
      Error: '',
      StartedAt: c.startedAt ?? (c.status === 'created' ? ZERO_TIME : c.created),
      FinishedAt: c.finishedAt ?? ZERO_TIME,
    },
    // Docker's Image is the image's id; the name given is Config.Image
    Image: c.imageId ?? c.image ?? '',
    ImageLayers: c.chainIds ?? [],
    LogPath: c.logConfig ? (o.logPath ?? '') : '',
    Name: `/${c.name}`,
    RestartCount: c.restartCount ?? 0,
    Driver: c.containerDir ? 'overlay' : 'rootfs',
    Platform: 'linux',
    MonitorPid: c.monitorPid ?? 0,
    CgroupPath: c.cgroup ?? '',
    ...(o.size ? { SizeRw: o.size.rw, SizeRootFs: o.size.rootFs } : {}),
    Mounts: (spec?.mounts ?? []).map((m) => {
      const volume = c.volumes?.find((v) => v.destination === m.destination)
      if (!volume) return { Type: m.type, Source: m.source, Destination: m.destination, Options: m.options ?? [] }
      // Docker's shape for a volume mount
      return { Type: 'volume', Name: volume.name, Source: m.source, Destination: m.destination, Driver: 'local', RW: !m.options?.includes('ro'), Options: m.options ?? [] }
    }),
    Config: {
      Hostname: spec?.hostname ?? '',
      User: spec ? `${spec.process.user.uid}:${spec.process.user.gid}` : '',
      Tty: spec?.process.terminal ?? false,
      OpenStdin: c.startInput?.via.monitor.interactive ?? false,
      Env: spec?.process.env ?? [],
      Cmd: c.command,
      Image: c.image ?? '',
      WorkingDir: spec?.process.cwd ?? '',
      // a Go map: json prints its keys sorted
      Labels: Object.fromEntries(Object.entries(c.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      StopSignal: c.stopSignal ?? 'SIGTERM',
      ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}),
    },
    HostConfig: {
      AutoRemove: c.autoRemove === true,
      NetworkMode: networkMode(c),
      RestartPolicy: { Name: c.restartPolicy?.name ?? 'no', MaximumRetryCount: c.restartPolicy?.maximumRetryCount ?? 0 },
      Resources: spec?.linux.resources ?? {},
      ReadonlyRootfs: spec?.root.readonly ?? false,
      CapAdd: spec?.process.capabilities?.bounding ?? [],
      // a foreground run writes no log: its output goes to the terminal
      LogConfig: c.logConfig ? { Type: c.logConfig.type, Config: c.logConfig.config } : { Type: 'none', Config: {} },
    },
  }
}

/** An image of the store in the shape of `docker image inspect`, for the fields the store has. */
export function imageJson(image: ResolvedImage, tags: string[]): Record<string, unknown> {
  return {
    Id: image.configDigest,
    RepoTags: tags,
    RepoDigests: [],
    Name: image.name,
    ManifestDigest: image.manifestDigest,
    Created: image.config.created,
    Architecture: image.config.architecture,
    Os: image.config.os,
    Config: image.config.config ?? {},
    RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
    ChainIds: image.chainIds,
    LayerDirs: image.layerDirs,
  }
}
