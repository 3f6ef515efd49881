import type { ResolvedImage } from '../image/store-types.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { dockerStatus } from '../runtime/container/filter-containers.js'
import { configExposedPorts } from '../runtime/container/filter-ports.js'
import { goMapOrder } from '../text-order.js'
import { userMounts } from '../runtime/container/user-mounts.js'
import { hostConfigJson } from './inspect-host-config.js'

const ZERO_TIME = '0001-01-01T00:00:00Z'

/** The container in the shape of `docker inspect` (its keys in Docker's order), for the fields mini-run has. */
export function inspectJson(c: ContainerInfo, o: { logPath?: string; size?: { rw: number; rootFs: number }; links?: string[] | null } = {}): Record<string, unknown> {
  const spec = c.spec
  // as planned (the start input): a container that is not running has its ports too
  const exposedPorts = configExposedPorts(c.startInput?.network)
  const status = dockerStatus(c)
  // the user's flags as given (a container made before they were recorded: the spec's values)
  const given = c.startInput?.given
  const defaulted = new Set(given?.envDefaults ?? [])
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
      Error: c.error ?? '',
      StartedAt: c.startedAt ?? (c.status === 'created' ? ZERO_TIME : c.created),
      FinishedAt: c.finishedAt ?? ZERO_TIME,
      ...(c.health ? { Health: { Status: c.health.Status, FailingStreak: c.health.FailingStreak, Log: c.health.Log } } : {}),
    },
    // Docker's Image is the image's id; the name given is Config.Image
    Image: c.imageId ?? c.image ?? '',
    ImageLayers: c.chainIds ?? [],
    // the files bound over the image's /etc/resolv.conf, /etc/hostname, /etc/hosts ("" when not bound: a --rootfs without them)
    ResolvConfPath: c.startInput?.network?.files.resolvConf ?? '',
    HostnamePath: c.startInput?.network?.files.hostname ?? '',
    HostsPath: c.startInput?.network?.files.hosts ?? '',
    LogPath: c.logConfig ? (o.logPath ?? '') : '',
    Name: `/${c.name}`,
    RestartCount: c.restartCount ?? 0,
    Driver: c.containerDir ? 'overlay' : 'rootfs',
    Platform: 'linux',
    MonitorPid: c.monitorPid ?? 0,
    CgroupPath: c.cgroup ?? '',
    ...(o.size ? { SizeRw: o.size.rw, SizeRootFs: o.size.rootFs } : {}),
    // the user's alone, in Docker's shape (its MountPoint): Name and Driver for a volume only
    Mounts: userMounts(c).map((m) => ({
      Type: m.type,
      ...(m.name !== undefined ? { Name: m.name } : {}),
      Source: m.source,
      Destination: m.destination,
      ...(m.type === 'volume' ? { Driver: 'local' } : {}),
      Mode: m.mode,
      RW: !m.readOnly,
      Propagation: m.propagation,
    })),
    Config: {
      Hostname: spec?.hostname ?? '',
      Domainname: spec?.domainname ?? '',
      User: given ? given.user ?? '' : spec ? `${spec.process.user.uid}:${spec.process.user.gid}` : '',
      // a Go map, left out when empty (omitempty)
      ...(exposedPorts.length ? { ExposedPorts: Object.fromEntries(exposedPorts.map((k) => [k, {}])) } : {}),
      Tty: spec?.process.terminal ?? false,
      OpenStdin: c.startInput?.via.monitor.interactive ?? false,
      // the image's and the user's: HOME and HOSTNAME set by mini-run are the process's alone, as in Docker
      Env: (spec?.process.env ?? []).filter((e) => !defaulted.has(e.slice(0, e.indexOf('=')))),
      // the process's words: the entrypoint's, then the command's (Go's nil slices: null)
      Cmd: orNull(c.command.slice(c.entrypointLength ?? 0)),
      Image: c.image ?? '',
      WorkingDir: spec?.process.cwd ?? '',
      Entrypoint: orNull(c.command.slice(0, c.entrypointLength ?? 0)),
      // a Go map: json prints its keys sorted
      Labels: goMapOrder(c.labels ?? {}),
      StopSignal: c.stopSignal ?? 'SIGTERM',
      ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}),
      ...(c.healthcheck ? { Healthcheck: c.healthcheck } : {}),
    },
    NetworkSettings: networkSettings(c, exposedPorts),
    HostConfig: hostConfigJson(c, o.links),
  }
}

/** Docker's NetworkSettings: ports ("80/tcp": [{HostIp, HostPort}]), and per network its address, gateway and MAC. */
function networkSettings(c: ContainerInfo, exposedPorts: readonly string[]): Record<string, unknown> {
  const record = c.status === 'running' ? c.network : undefined
  const bindings: Record<string, { HostIp: string; HostPort: string }[] | null> = {}
  for (const p of record?.ports ?? []) {
    for (let i = 0; i < p.range; i++) {
      const key = `${p.containerPort + i}/${p.protocol}`
      ;(bindings[key] ??= [])?.push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort + i) })
    }
  }
  // an exposed port nothing publishes is there too, bound to nothing (null), as Docker shows it
  if (record) for (const key of exposedPorts) bindings[key] ??= null
  // keys sorted, as Go marshals a map
  const ports = Object.fromEntries(Object.keys(bindings).sort().map((k) => [k, bindings[k]]))
  const networks: Record<string, unknown> = {}
  for (const e of record?.endpoints ?? []) {
    networks[e.network] = {
      Aliases: e.aliases, IPAddress: e.ip, IPPrefixLen: e.prefix, Gateway: e.gateway, MacAddress: e.mac,
      // Docker's EndpointSettings has them on every network, empty without IPv6
      IPv6Gateway: e.gateway6 ?? '', GlobalIPv6Address: e.ip6 ?? '', GlobalIPv6PrefixLen: e.prefix6 ?? 0,
    }
  }
  // not running: the networks it will join, with no address yet, as Docker shows a created or exited container's
  if (!record) for (const n of configuredNetworks(c)) networks[n.name] = { Aliases: n.aliases?.length ? n.aliases : null, IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0 }
  const first = record?.endpoints?.[0]
  return {
    Ports: ports,
    IPAddress: first?.ip ?? '',
    IPPrefixLen: first?.prefix ?? 0,
    Gateway: first?.gateway ?? '',
    MacAddress: first?.mac ?? '',
    GlobalIPv6Address: first?.ip6 ?? '',
    GlobalIPv6PrefixLen: first?.prefix6 ?? 0,
    IPv6Gateway: first?.gateway6 ?? '',
    Networks: networks,
    ...(c.network ? { Mode: c.network.mode } : {}),
  }
}

/** The networks a container joins at its start: its plan's bridge attachments, the default bridge among them. */
function configuredNetworks(c: ContainerInfo): { name: string; aliases: string[] }[] {
  const plan = c.startInput?.network
  if (plan?.mode !== 'bridge') return []
  return plan.attachments.map((a) => ({ name: a.network.name, aliases: a.aliases }))
}

const orNull = (words: string[]): string[] | null => (words.length ? words : null)
