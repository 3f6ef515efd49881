/**
 * A container as `ps --format` sees it: the fields of Docker's container
 * formatting context (docker/cli cli/command/formatter/container.go), all
 * strings, keys in the order `{{json .}}` prints them (sorted, as Docker
 * marshals them), and `.Label NAME` as a method.
 */
import { goTime, humanSize } from './units.js'
import { dockerStatus, networkNames } from '../../runtime/container/filter-containers.js'
import { formatPorts } from '../../network/port-spec.js'
import { userMounts } from '../../runtime/container/user-mounts.js'
import type { ContainerInfo } from '../../runtime/container/containers.js'
import { humanDuration, statusText } from '../format-status.js'

export const CONTAINER_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
  Label: 'LABEL',
}

/** Docker's default `ps` columns (without PORTS until containers publish any). */
export const PS_TABLE = '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}'

/** Docker's Ellipsis: at most n characters, the last one "…" when cut. */
export function ellipsis(s: string, n: number): string {
  const chars = [...s]
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`
}

export interface RowOptions {
  trunc: boolean
  /** From container-size.ts, when asked for (-s, or a format that shows .Size). */
  size?: { rw: number; rootFs: number }
  now?: number
  /** The IMAGE to show when not the container's own name (shown-image.ts: its name no longer designates its image). */
  image?: string
}

export function containerRow(c: ContainerInfo, o: RowOptions): Record<string, unknown> {
  const command = c.command.join(' ')
  const labels = c.labels ?? {}
  // the default table's columns are made at once; the others are getters,
  // made when a format asks (ps of 50 made them all, run cold, for nothing)
  return {
    Command: JSON.stringify(o.trunc ? ellipsis(command, 20) : command),
    get CreatedAt() {
      return goTime(c.created)
    },
    ID: o.trunc ? c.id.slice(0, 12) : c.id,
    Image: o.image ?? c.image ?? '<rootfs>',
    get Labels() {
      return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',')
    },
    get LocalVolumes() {
      return String((c.volumes ?? []).length)
    },
    // volume names and bind sources, as Docker's column; the binds are in the
    // spec, which only this column reads (state-config.ts). --tmpfs is no
    // mount point; a --mount tmpfs, with neither name nor source, an empty entry
    get Mounts() {
      return userMounts(c).map((m) => m.name ?? m.source).map((m) => (o.trunc ? ellipsis(m, 15) : m)).join(',')
    },
    Names: c.name,
    get Networks() {
      return networkNames(c).join(',')
    },
    // a stopped container holds no port, as in Docker
    Ports: c.status === 'running' ? formatPorts(c.network?.ports ?? []) : '',
    RunningFor: `${humanDuration(c.created, o.now)} ago`,
    get Size() {
      return o.size ? `${humanSize(o.size.rw)} (virtual ${humanSize(o.size.rootFs)})` : '0B'
    },
    get State() {
      return dockerStatus(c)
    },
    Status: statusText(c, o.now),
    Label: (name: unknown) => labels[String(name)] ?? '',
  }
}
