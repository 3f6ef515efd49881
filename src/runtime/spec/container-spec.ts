/**
 * Docker's `run` semantics as an OCI runtime spec: image config plus flags
 * in, `Spec` out. Pure: the caller reads the image and the user database.
 */
import { sysctlNamespace } from './sysctls.js'
import { UsageError } from '../../errors.js'
import { adjustCapabilities, CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from './capabilities.js'
import {
  DEFAULT_DEVICES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  defaultMounts,
  HOST_SHM_MOUNT,
} from './docker-defaults.js'
import { DEFAULT_PATH } from './search-path.js'
import { resolveGroup, resolveUser, type GroupLine, type PasswdLine } from './resolve-user.js'
import { defaultSeccompProfile, nativeArchitectures } from './seccomp-profile.js'
import type { Rlimit } from './ulimits.js'
import type { SpecResources } from '../cgroup/cgroup-limits.js'
import type { IdMapping, NamespaceType, Spec, SpecDevice, SpecMount, SpecSeccomp } from './spec.js'
import type { HealthConfig } from '../health/health-config.js'

/** The part of an OCI image config (`config` object) that `run` uses. */
export interface ImageRunConfig {
  User?: string
  Env?: string[] | null
  Entrypoint?: string[] | null
  Cmd?: string[] | null
  WorkingDir?: string
  StopSignal?: string
  /** VOLUME paths: anonymous volumes unless a flag mounts something there (container/prepare.ts). */
  Volumes?: Record<string, object> | null
  /** "80/tcp": {} for each port the image expects to be published (-P). */
  ExposedPorts?: Record<string, unknown> | null
  /** HEALTHCHECK: a detached container runs it while it lives (health/). */
  Healthcheck?: HealthConfig | null
}

export interface ContainerOptions {
  id: string
  /** Where the rootfs is assembled (the overlay mount point, or the --rootfs dir). */
  rootfsPath: string
  image?: ImageRunConfig
  /** Everything after the image on the command line. */
  command: string[]
  /** --entrypoint; "" clears the image's. */
  entrypoint?: string
  /** -e KEY=VALUE, or -e KEY to take the caller's value. */
  env?: string[]
  workdir?: string
  user?: string
  hostname?: string
  /** --domainname. */
  domainname?: string
  /** --sysctl, checked (sysctls.ts): linux.sysctl. */
  sysctls?: Record<string, string>
  /** --annotation: the spec's annotations. */
  annotations?: Record<string, string>
  readOnly?: boolean
  tty?: boolean
  consoleSize?: { height: number; width: number }
  capAdd?: string[]
  capDrop?: string[]
  /** --group-add: supplementary groups by name or number. */
  groupAdd?: string[]
  /** --ulimit, parsed (ulimits.ts). */
  rlimits?: Rlimit[]
  /** Docker's default seccomp restrictions (seccomp-profile.ts); false: none (--security-opt seccomp=unconfined). */
  seccomp?: boolean
  /** --security-opt seccomp=FILE: the profile, given the container's bounding set (docker-seccomp.ts). */
  seccompProfile?: (capabilities: string[]) => SpecSeccomp
  /** --security-opt no-new-privileges[=true|false]: on unless false. */
  noNewPrivileges?: boolean
  /** --privileged: every capability the runtime holds, no seccomp, no masked or read-only paths, /sys writable, the host's devices. */
  privileged?: boolean
  /** What --cap-add ALL and --privileged give: the runtime's own bounding set (host-capabilities.ts). */
  hostCapabilities?: string[]
  /** Device nodes besides the standard ones (--device, --privileged's host devices). */
  devices?: SpecDevice[]
  /** Id maps for a user namespace; none: no user namespace. */
  idMaps?: { uid: IdMapping[]; gid: IdMapping[] }
  /** The host has a cgroup v2 hierarchy: mount it read-only at /sys/fs/cgroup. */
  cgroup2?: boolean
  /** Namespaces shared with the host (--network host, --pid host, --ipc host, --uts host). */
  hostNamespaces?: HostNamespace[]
  /** The host's hostname: the container's under --network host or --uts host, as in Docker. */
  hostHostname?: string
  /** Extra mounts (-v), OCI shape. */
  mounts?: SpecMount[]
  /** cgroup limits (linux.resources). */
  resources?: SpecResources
  /** --shm-size in bytes: /dev/shm's size (Docker's default: 64 MiB). */
  shmSize?: number
  /** A device cgroup guards the nodes (a v1 devices leaf or the BPF program): /dev need not be nodev. */
  deviceCgroup?: boolean
  /** --oom-score-adj: process.oomScoreAdj. */
  oomScoreAdj?: number
  passwd: PasswdLine[]
  groups: GroupLine[]
  /** The caller's environment, for `-e KEY` without a value. */
  callerEnv?: Record<string, string | undefined>
}

/** The namespaces a container may share with the host. */
export type HostNamespace = 'network' | 'pid' | 'ipc' | 'uts' | 'cgroup'

/** The entrypoint a run gets: --entrypoint's ("" for none), else the image's. */
export function entrypointOf(o: Pick<ContainerOptions, 'entrypoint'>, image: { Entrypoint?: string[] | null } | undefined): string[] {
  return o.entrypoint === undefined ? image?.Entrypoint ?? [] : o.entrypoint === '' ? [] : [o.entrypoint]
}

/** --hostname and --domainname name the container's UTS namespace: not the host's. */
export function checkHostNames(o: { hostname?: string | undefined; domainname?: string | undefined }, shared: ReadonlySet<HostNamespace>): void {
  for (const [flag, value] of [['hostname', o.hostname], ['domainname', o.domainname]] as const) {
    if (shared.has('uts') && value !== undefined) throw new UsageError(`--${flag} cannot be used with --uts host: it would rename the host`)
  }
}

/** The working directory, the flag's or the image's: absolute, as Docker's daemon requires. */
export function checkWorkdir(cwd: string): void {
  if (!cwd.startsWith('/')) throw new UsageError(`the working directory '${cwd}' is invalid, it needs to be an absolute path`)
}

export function buildSpec(o: ContainerOptions): Spec {
  const image = o.image ?? {}
  const entrypoint = entrypointOf(o, image)
  // Docker: a new --entrypoint also resets the image's Cmd.
  const cmd = o.command.length > 0 ? o.command : o.entrypoint === undefined ? image.Cmd ?? [] : []
  const args = [...entrypoint, ...cmd]
  if (args.length === 0) throw new UsageError('no command specified')

  const userSpec = o.user ?? image.User ?? ''
  const user = resolveUser(userSpec, o.passwd, o.groups)
  // --group-add: more supplementary groups, names resolved in the image
  const groupAdd = (o.groupAdd ?? []).map((g) => resolveGroup(g, o.groups))
  const additionalGids = [...new Set([...user.additionalGids, ...groupAdd])]

  const shared = new Set(o.hostNamespaces ?? [])
  checkHostNames(o, shared)
  const hostname = o.hostname ?? (shared.has('uts') || shared.has('network') ? o.hostHostname ?? '' : o.id.slice(0, 12))
  const env = mergeEnv(image.Env ?? [], o.env ?? [], o.callerEnv ?? {})
  setDefault(env, 'PATH', DEFAULT_PATH)
  setDefault(env, 'HOSTNAME', hostname)
  if (o.tty) setDefault(env, 'TERM', 'xterm')
  setDefault(env, 'HOME', user.home)

  const cwd = o.workdir || image.WorkingDir || '/'
  checkWorkdir(cwd)

  const all = o.hostCapabilities ?? [...CAPABILITIES]
  const caps = adjustCapabilities(o.privileged ? all : DOCKER_DEFAULT_CAPABILITIES, o.capAdd ?? [], o.capDrop ?? [], all)
  const userns = o.idMaps !== undefined
  const namespaces = (['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'] as NamespaceType[]).filter(
    (ns) => !shared.has(ns as HostNamespace),
  )
  if (userns) namespaces.unshift('user')
  // checked with the flags (sysctls.ts); again here, where the spec is made: a write under the host's /proc/sys is never planned
  for (const key of Object.keys(o.sysctls ?? {})) {
    const ns = sysctlNamespace(key)
    if ((ns !== 'ipc' && ns !== 'network') || shared.has(ns)) throw new UsageError(`--sysctl ${key}: not a parameter of a namespace of the container's own`)
  }
  // --ipc host shares POSIX shared memory too: the host's /dev/shm, as Docker does
  const userMounts: SpecMount[] = [
    ...(shared.has('ipc') ? [{ ...HOST_SHM_MOUNT, options: [...HOST_SHM_MOUNT.options!] }] : []),
    ...(o.mounts ?? []),
  ]
  const gid5Mapped = !userns || o.idMaps!.gid.some((m) => m.containerID <= 5 && 5 < m.containerID + m.size)

  return {
    ociVersion: '1.2.0',
    ...(o.annotations && { annotations: o.annotations }),
    process: {
      terminal: o.tty ?? false,
      ...(o.consoleSize ? { consoleSize: o.consoleSize } : {}),
      user: { uid: user.uid, gid: user.gid, additionalGids },
      args,
      env: [...env.entries()].map(([k, v]) => `${k}=${v}`),
      cwd,
      capabilities: {
        bounding: caps,
        // none effective for a user other than root, as Docker's (moby oci.SetCapabilities): the command is
        // looked up and opened without CAP_DAC_OVERRIDE, as the user; permitted kept for no_new_privs (plan-process.ts)
        effective: user.uid === 0 ? caps : [],
        permitted: caps,
        inheritable: [],
        ambient: [],
      },
      noNewPrivileges: o.noNewPrivileges ?? true,
      ...(o.oomScoreAdj !== undefined ? { oomScoreAdj: o.oomScoreAdj } : {}),
      ...(o.rlimits?.length ? { rlimits: o.rlimits } : {}),
    },
    root: { path: o.rootfsPath, readonly: o.readOnly ?? false },
    // in the host's UTS namespace the hostname is the host's, and is not set
    ...(shared.has('uts') ? {} : { hostname, ...(o.domainname ? { domainname: o.domainname } : {}) }),
    // a mount of the user's replaces the default one at the same place (-v over /dev/shm)
    mounts: [
      ...defaultMounts({ devptsGid5: gid5Mapped, cgroup2: o.cgroup2 ?? false, privileged: o.privileged === true, deviceCgroup: o.deviceCgroup === true })
        .filter((d) => !userMounts.some((m) => m.destination === d.destination))
        .map((d) => (d.destination === '/dev/shm' && o.shmSize !== undefined ? { ...d, options: (d.options ?? []).map((opt) => (opt.startsWith('size=') ? `size=${Math.floor(o.shmSize! / 1024)}k` : opt)) } : d)),
      ...userMounts,
    ],
    linux: {
      namespaces: namespaces.map((type) => ({ type })),
      ...(userns ? { uidMappings: o.idMaps!.uid, gidMappings: o.idMaps!.gid } : {}),
      maskedPaths: o.privileged ? [] : DEFAULT_MASKED_PATHS,
      readonlyPaths: o.privileged ? [] : DEFAULT_READONLY_PATHS,
      devices: withDevices(DEFAULT_DEVICES, o.devices ?? []),
      ...seccompOf(o, caps),
      ...(o.resources ? { resources: o.resources } : {}),
      ...(o.sysctls && Object.keys(o.sysctls).length ? { sysctl: o.sysctls } : {}),
    },
  }
}

/** The standard nodes, then the flags' (a flag's node replaces a standard one at its path). */
function withDevices(base: SpecDevice[], extra: SpecDevice[]): SpecDevice[] {
  const byPath = new Map(base.map((d) => [d.path, d]))
  for (const d of extra) byPath.set(d.path, d)
  return [...byPath.values()]
}

function seccompOf(o: ContainerOptions, caps: string[]): { seccomp?: SpecSeccomp } {
  if (o.privileged || o.seccomp === false) return {}
  if (o.seccompProfile) return { seccomp: o.seccompProfile(caps) }
  // none on an architecture the filter has no syscall table for
  return nativeArchitectures().length ? { seccomp: defaultSeccompProfile(caps) } : {}
}

/** The spec a start is planned from, with variables the recorded spec must not hold (RunOptions.startEnv): each replaces one of its name. */
export function withStartEnv(spec: Spec, startEnv: readonly string[] | undefined): Spec {
  if (!startEnv?.length) return spec
  const names = new Set(startEnv.map((e) => e.slice(0, e.indexOf('='))))
  const env = [...spec.process.env.filter((e) => !names.has(e.slice(0, e.indexOf('=')))), ...startEnv]
  return { ...spec, process: { ...spec.process, env } }
}

function mergeEnv(imageEnv: string[], flags: string[], callerEnv: Record<string, string | undefined>): Map<string, string> {
  const env = new Map<string, string>()
  for (const entry of imageEnv) {
    const eq = entry.indexOf('=')
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1))
  }
  for (const entry of flags) {
    const eq = entry.indexOf('=')
    if (eq === 0) throw new UsageError(`invalid environment variable: ${entry}`)
    if (eq < 0) {
      // Docker: `-e KEY` copies the caller's value, if the caller has one
      const value = callerEnv[entry]
      if (value !== undefined) env.set(entry, value)
    } else {
      env.set(entry.slice(0, eq), entry.slice(eq + 1))
    }
  }
  return env
}

function setDefault(env: Map<string, string>, key: string, value: string): void {
  if (!env.has(key)) env.set(key, value)
}
