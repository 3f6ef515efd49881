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
      StartedAt: c.created,
      FinishedAt: c.finishedAt ?? '0001-01-01T00:00:00Z',
      ...(c.health ? { Health: { Status: c.health.Status, FailingStreak: c.health.FailingStreak, Log: c.health.Log } } : {}),
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
      Labels: c.labels ?? {},
      ...(c.healthcheck ? { Healthcheck: c.healthcheck } : {}),
    },
    NetworkSettings: networkSettings(c),
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

/** Docker's NetworkSettings: ports ("80/tcp": [{HostIp, HostPort}]), and per network its address, gateway and MAC. */
function networkSettings(c: ContainerInfo): Record<string, unknown> {
  const record = c.status === 'running' ? c.network : undefined
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {}
  for (const p of record?.ports ?? []) {
    for (let i = 0; i < p.range; i++) {
      const key = `${p.containerPort + i}/${p.protocol}`
      ;(ports[key] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort + i) })
    }
  }
  const networks: Record<string, unknown> = {}
  for (const e of record?.endpoints ?? []) {
    networks[e.network] = { Aliases: e.aliases, IPAddress: e.ip, IPPrefixLen: e.prefix, Gateway: e.gateway, MacAddress: e.mac }
  }
  const first = record?.endpoints?.[0]
  return {
    Ports: ports,
    IPAddress: first?.ip ?? '',
    IPPrefixLen: first?.prefix ?? 0,
    Gateway: first?.gateway ?? '',
    MacAddress: first?.mac ?? '',
    Networks: networks,
    ...(c.network ? { Mode: c.network.mode } : {}),
  }
}
