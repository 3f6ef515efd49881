import type { ContainerInfo } from '../runtime/container/containers.js'

/** The container in the shape of `docker inspect`, for the fields mini-run has. */
export function inspectJson(c: ContainerInfo): Record<string, unknown> {
  const spec = c.spec
  return {
    Id: c.id,
    Created: c.created,
    Path: c.command[0] ?? '',
    Args: c.command.slice(1),
    State: {
      Status: c.status,
      Running: c.status === 'running',
      OOMKilled: c.oomKilled,
      Pid: c.status === 'running' ? c.pid ?? 0 : 0,
      ExitCode: c.exitCode ?? 0,
      Error: c.error ?? '',
      StartedAt: c.created,
      FinishedAt: c.finishedAt ?? '0001-01-01T00:00:00Z',
    },
    Image: c.image ?? '',
    ImageLayers: c.chainIds ?? [],
    Name: `/${c.name}`,
    MonitorPid: c.monitorPid ?? 0,
    CgroupPath: c.cgroup ?? '',
    Mounts: (spec?.mounts ?? []).map((m) => {
      const volume = c.volumes?.find((v) => v.destination === m.destination)
      if (!volume) return { Type: m.type, Source: m.source, Destination: m.destination, Options: m.options ?? [] }
      // Docker's shape for a volume mount
      return { Type: 'volume', Name: volume.name, Source: m.source, Destination: m.destination, Driver: 'local', RW: !m.options?.includes('ro'), Options: m.options ?? [] }
    }),
    Config: {
      Hostname: spec?.hostname ?? '',
      User: spec ? `${spec.process.user.uid}:${spec.process.user.gid}` : '',
      Env: spec?.process.env ?? [],
      Cmd: c.command,
      WorkingDir: spec?.process.cwd ?? '',
      StopSignal: c.stopSignal ?? 'SIGTERM',
    },
    HostConfig: {
      AutoRemove: c.autoRemove === true,
      Resources: spec?.linux.resources ?? {},
      ReadonlyRootfs: spec?.root.readonly ?? false,
      CapAdd: spec?.process.capabilities?.bounding ?? [],
      // a foreground run writes no log: its output goes to the terminal
      LogConfig: c.logConfig ? { Type: c.logConfig.type, Config: c.logConfig.config } : { Type: 'none', Config: {} },
    },
  }
}
