/**
 * Prepare a container: from Docker's flags (RunOptions) to its spec and the
 * whole plan that starts it. Everything is checked here, before anything is
 * made: a bad flag, a missing image or a refused limit fails now, with one
 * line. It reads the image's files and the host; the only thing it takes is
 * a --userns=auto id range (released if preparing fails), and with planOnly
 * (--explain) not even that.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { hostname } from 'node:os'
import { MiniRunError, UsageError } from '../../errors.js'
import { defaultStateRoot, defaultStoreRoot, isRoot } from '../../paths.js'
import { randomHex } from '../../random.js'
import { ALWAYS_ALLOWED_DEVICES } from '../cgroup/cgroup-devices.js'
import { flagOfController, resourcesFromFlags, type SpecDeviceRule } from '../cgroup/cgroup-limits.js'
import { hostDevices, parseDeviceCgroupRule, parseDeviceFlag } from '../spec/device-flags.js'
import { dockerSeccompProfile } from '../spec/docker-seccomp.js'
import { hostCapabilities } from '../spec/host-capabilities.js'
import { DEFAULT_CGROUP_PARENT, leafPath } from '../cgroup/cgroup.js'
import { readCgroupHost, v1LeavesFor } from '../cgroup/cgroup-placement.js'
import { cgroupPathIn, type V1Leaf } from '../cgroup/cgroup-v1.js'
import { planStart, type PathKind, type WritableLayer } from '../plan/plan-start.js'
import type { CloneVia } from '../plan/steps.js'
import { buildSpec } from '../spec/container-spec.js'
import { sharedNamespaces } from '../spec/host-namespaces.js'
import { hostId } from '../spec/id-maps.js'
import { parseLogOptions, type LogConfig } from '../spec/log-options.js'
import { parseGroup, parsePasswd } from '../spec/resolve-user.js'
import { imageStopSignal, parseSignal } from '../spec/signals.js'
import type { IdMapping, Spec, SpecDevice, SpecMount, SpecSeccomp } from '../spec/spec.js'
import { parseUlimits } from '../spec/ulimits.js'
import { volumesFromFlags, withImageVolumes } from '../spec/volumes.js'
import { exitFile, logFile } from './containers.js'
import { resolveVolumes } from './container-volumes.js'
import { readImageFile } from './image-files.js'
import { rootFilesystem, type RootFilesystem } from './rootfs-source.js'
import type { PreparedContainer, RunOptions } from './run-options.js'
import { CONTAINER_NAME, ensureStateRoot } from './state.js'
import { allocateAutoRange, releaseAutoRange } from './userns-ranges.js'

export type { PreparedContainer, RunOptions } from './run-options.js'

export function newContainerId(): string {
  return randomHex(32)
}

interface IdMaps {
  uid: IdMapping[]
  gid: IdMapping[]
  /** Rootless: an unprivileged writer must deny setgroups(2) before writing a gid map. */
  denySetgroups: boolean
}

/** The user namespace: a rootless run always has one (its uid is root inside); root on request, --userns=auto. */
function userNamespace(o: RunOptions, root: boolean): IdMaps | 'auto' | undefined {
  if (!root) {
    return { uid: [{ containerID: 0, hostID: process.getuid!(), size: 1 }], gid: [{ containerID: 0, hostID: process.getgid!(), size: 1 }], denySetgroups: true }
  }
  if (o.userns === 'auto') return 'auto'
  if (o.userns !== undefined && o.userns !== 'host' && o.userns !== '') throw new UsageError(`invalid --userns "${o.userns}": use "host" or "auto"`)
  return undefined
}

/** The flags checked before an image is even pulled. */
function checkFlags(o: RunOptions, root: boolean, userns: boolean, denySetgroups: boolean) {
  if (o.name !== undefined && !CONTAINER_NAME.test(o.name)) throw new UsageError(`invalid container name "${o.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`)
  if (o.stopSignal !== undefined) parseSignal(o.stopSignal) // a bad name fails now, not at stop
  if (o.stopTimeout !== undefined && !(Number.isInteger(o.stopTimeout) && o.stopTimeout >= 0)) {
    throw new UsageError(`invalid --stop-timeout ${o.stopTimeout}: a whole number of seconds`)
  }
  const hostNamespaces = sharedNamespaces(o)
  const needHostUserns = hostNamespaces.filter((ns) => ns !== 'uts')
  if (userns && needHostUserns.length) {
    // mounting /proc, /sys or /dev/mqueue takes owning the namespace they show
    throw new UsageError(`--${needHostUserns[0]} host needs the host's user namespace: not ${root ? 'with --userns=auto' : 'in a rootless run'}`)
  }
  if (denySetgroups && o.groupAdd?.length) throw new UsageError('--group-add needs setgroups(2), which a rootless run may not use (user_namespaces(7))')
  const volumes = volumesFromFlags(o.volumes ?? {})
  const missingSources = volumes.filter((v) => v.mount.type === 'bind' && !v.volume && !existsSync(v.mount.source!))
  for (const { mount, createSource } of missingSources) if (!createSource) throw new UsageError(`bind source path does not exist: ${mount.source}`)
  return {
    hostNamespaces,
    rlimits: parseUlimits(o.ulimits ?? []),
    logConfig: parseLogOptions(o.logOpts ?? []),
    volumes,
    missingSources: missingSources.map((v) => v.mount.source!),
  }
}

/**
 * The cgroup v2 hierarchy and the limits, with the cgroup v1 leaves of the
 * controllers v2 lacks (a hybrid host: cgroup/cgroup-v1.ts); limits refused
 * now when the host cannot apply them.
 */
function cgroupOf(o: RunOptions, id: string, root: boolean, planOnly: boolean, deviceRules: SpecDeviceRule[] | undefined) {
  const host = o.cgroupParent === '' ? undefined : readCgroupHost()
  const mount = host?.v2Mount
  const limits = resourcesFromFlags(o.resources ?? {})
  // the device cgroup, as root (a rootless run has no cgroup: its nodes are bound, unguarded as before)
  const resources = deviceRules && root ? { ...limits, devices: deviceRules } : limits
  let v1: V1Leaf[] = []
  if (resources && (root || planOnly)) {
    if (!host || (!mount && host.v1.length === 0)) {
      throw new MiniRunError(`resource limits need a cgroup hierarchy that mini-run may write${host ? ' (none is mounted)' : ' (--cgroup-parent "" disables it)'}`, { code: 'ENOCONTROLLER' })
    }
    // v1 leaves nest under the caller's own cgroup: its limits still hold
    const parent = (o.cgroupParent ?? DEFAULT_CGROUP_PARENT).replace(/^\/+/, '')
    v1 = v1LeavesFor(resources, host, (m, own) => cgroupPathIn(m, own, join(parent, id)), flagOfController, { removeParents: true })
  } else if (resources) {
    throw new MiniRunError('resource limits need a cgroup that mini-run may write (rootless runs have no cgroup of their own)', { code: 'ENOCONTROLLER' })
  }
  // cgroup v2 has no devices controller: the rules become a BPF program on the leaf
  const deviceFilter = Boolean(resources?.devices && mount && root && !v1.some((l) => l.controller === 'devices'))
  return { mount: root || planOnly ? mount : undefined, resources, v1, deviceFilter }
}

/** --device, --device-cgroup-rule and --privileged: the extra nodes, and the device cgroup's rules (none without those flags). */
function devicesOf(o: RunOptions): { nodes: SpecDevice[]; rules?: SpecDeviceRule[] } {
  if (o.privileged) return { nodes: hostDevices(), rules: [{ allow: true, access: 'rwm' }] }
  const flags = (o.devices ?? []).map((d) => parseDeviceFlag(d))
  const extra = (o.deviceCgroupRules ?? []).map(parseDeviceCgroupRule)
  if (flags.length === 0 && extra.length === 0) return { nodes: [] }
  return { nodes: flags.map((f) => f.device), rules: [{ allow: false, access: 'rwm' }, ...ALWAYS_ALLOWED_DEVICES, ...flags.map((f) => f.rule), ...extra] }
}

/** --security-opt seccomp=FILE: read now, turned into the container's profile once its capabilities are known. */
function seccompProfileOf(o: RunOptions): ((caps: string[]) => SpecSeccomp) | undefined {
  const file = o.seccompProfile
  if (file === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new UsageError(`--security-opt seccomp=${file}: ${(err as Error).message}`, { cause: err })
  }
  return (caps) => dockerSeccompProfile(json, file, caps)
}

export async function prepareContainer(o: RunOptions, planOnly = false): Promise<PreparedContainer> {
  const id = newContainerId()
  const root = isRoot()
  const storeRoot = o.storeRoot ?? defaultStoreRoot()
  const stateRoot = o.stateRoot ?? defaultStateRoot()
  const userns = userNamespace(o, root)
  const flags = checkFlags(o, root, userns !== undefined, userns !== undefined && userns !== 'auto' && userns.denySetgroups)
  const fs = await rootFilesystem(o, id, storeRoot, { inside: userns !== undefined, idmapped: userns === 'auto' })
  const imageStop = fs.image?.StopSignal ? imageStopSignal(fs.image.StopSignal) : undefined
  // the image's VOLUME paths get anonymous volumes, as in Docker
  const volumes = fs.image?.Volumes ? withImageVolumes(flags.volumes, Object.keys(fs.image.Volumes)) : flags.volumes
  if (userns === 'auto' && fs.source.kind !== 'overlay' && volumes.some((v) => v.volume)) {
    throw new UsageError('volumes under --userns=auto need an image: they are idmapped like its layers')
  }
  const devices = devicesOf(o)
  const cgroup = cgroupOf(o, id, root, planOnly, devices.rules)

  // last, once nothing else can fail: the id range of --userns=auto
  let idMaps = userns === 'auto' ? undefined : userns
  let usernsSlot: number | undefined
  if (userns === 'auto') {
    if (!planOnly) ensureStateRoot(stateRoot)
    const taken = allocateAutoRange(stateRoot, id, { dryRun: planOnly })
    idMaps = { uid: taken.uid, gid: taken.gid, denySetgroups: false }
    if (!planOnly) usernsSlot = taken.slot
  }
  try {
    const resolved = resolveVolumes(volumes, storeRoot, userns === 'auto' ? idMaps : undefined)
    const spec = specOf(o, id, fs, flags, cgroup, idMaps, resolved.mounts, devices.nodes)
    const cgroupPath = cgroup.mount ? leafPath(cgroup.mount, o.cgroupParent ?? DEFAULT_CGROUP_PARENT, id) : undefined
    const plan = planStart({
      spec,
      rootfs: fs.source,
      writableLayer: writableLayerOf(fs, idMaps, root),
      cgroupPath,
      cgroupMount: cgroup.mount,
      ...(cgroup.v1.length ? { cgroupV1: cgroup.v1 } : {}),
      ...(cgroup.resources?.devices ? { deviceCgroup: true, deviceFilter: cgroup.deviceFilter } : {}),
      init: o.init ?? false,
      setgroupsAllowed: !idMaps?.denySetgroups,
      pathKind: hostPathKind,
      bindSources: flags.missingSources,
      volumes: resolved.volumes.length
        ? { storeRoot, stateRoot, container: id, volumes: resolved.volumes, layers: o.rootfs === undefined ? fs.layers : undefined }
        : undefined,
      via: cloneVia(o, id, stateRoot, flags.logConfig),
    })
    return {
      id,
      name: o.name ?? `mini-run-${id.slice(0, 12)}`,
      stateRoot,
      storeRoot,
      image: o.image,
      chainIds: fs.chainIds,
      spec,
      plan,
      containerDir: fs.containerDir,
      cgroup: cgroupPath && cgroup.mount ? { path: cgroupPath, mount: cgroup.mount } : undefined,
      cgroupV1: cgroup.v1.length ? cgroup.v1 : undefined,
      volumes: resolved.volumes.length ? resolved.volumes.map((v) => ({ name: v.name, destination: v.destination })) : undefined,
      usernsSlot,
      stopSignal: o.stopSignal ?? imageStop?.signal,
      stopTimeout: o.stopTimeout,
      logConfig: flags.logConfig,
      detached: o.detach !== undefined,
      autoRemove: o.detach?.exitCommand !== undefined,
      warnings: imageStop?.warning && o.stopSignal === undefined ? [imageStop.warning] : [],
    }
  } catch (err) {
    if (usernsSlot !== undefined) releaseAutoRange(stateRoot, id, usernsSlot)
    throw err
  }
}

/** Docker's run semantics as the OCI spec (spec/container-spec.ts), with the image's users and groups. */
function specOf(
  o: RunOptions,
  id: string,
  fs: RootFilesystem,
  flags: ReturnType<typeof checkFlags>,
  cgroup: ReturnType<typeof cgroupOf>,
  idMaps: IdMaps | undefined,
  mounts: SpecMount[],
  devices: SpecDevice[],
): Spec {
  return buildSpec({
    id,
    rootfsPath: fs.path,
    image: fs.image,
    command: o.command,
    entrypoint: o.entrypoint,
    env: o.env ?? [],
    workdir: o.workdir || undefined,
    user: o.user,
    hostname: o.hostname || undefined,
    readOnly: o.readOnly ?? false,
    tty: o.tty ?? false,
    consoleSize: o.consoleSize,
    capAdd: o.capAdd ?? [],
    capDrop: o.capDrop ?? [],
    seccomp: o.seccomp,
    ...(o.seccompProfile !== undefined ? { seccompProfile: seccompProfileOf(o)! } : {}),
    ...(o.noNewPrivileges === false ? { noNewPrivileges: false } : {}),
    privileged: o.privileged === true,
    hostCapabilities: hostCapabilities(),
    devices,
    rlimits: flags.rlimits,
    groupAdd: o.groupAdd?.length ? o.groupAdd : undefined,
    hostNamespaces: flags.hostNamespaces.length ? flags.hostNamespaces : undefined,
    hostHostname: flags.hostNamespaces.length ? hostname() : undefined,
    idMaps: idMaps ? { uid: idMaps.uid, gid: idMaps.gid } : undefined,
    cgroup2: cgroup.mount !== undefined,
    resources: cgroup.resources,
    mounts: mounts.length ? mounts : undefined,
    passwd: parsePasswd(readImageFile(fs.layers, 'etc/passwd') ?? ''),
    groups: parseGroup(readImageFile(fs.layers, 'etc/group') ?? ''),
    callerEnv: process.env,
  })
}

/** The directories of an image's writable layer, owned as the container's ids require. */
function writableLayerOf(fs: RootFilesystem, idMaps: IdMaps | undefined, root: boolean): WritableLayer | undefined {
  if (!fs.containerDir || !fs.top) return undefined
  return {
    containerDir: fs.containerDir,
    upperMode: fs.top.mode,
    // in a user namespace the writable layer belongs to the container's ids as the host sees them
    upperOwner: { uid: hostId(idMaps?.uid, fs.top.uid), gid: hostId(idMaps?.gid, fs.top.gid) },
    // its root has no capability over host-owned inodes: what it mounts on must be its own
    owner: root && idMaps ? { uid: hostId(idMaps.uid, 0), gid: hostId(idMaps.gid, 0) } : undefined,
  }
}

/** Who clones: this process, or for run -d a monitor that stays, logs and records the exit. */
function cloneVia(o: RunOptions, id: string, stateRoot: string, log: LogConfig): CloneVia {
  if (!o.detach) return { runtime: true }
  return {
    monitor: {
      log: logFile(stateRoot, id),
      exitFile: exitFile(stateRoot, id),
      logMaxSize: log.maxSize,
      logMaxFile: log.maxFile,
      exitCommand: o.detach.exitCommand?.(id),
      interactive: o.detach.interactive === true && o.tty !== true,
    },
  }
}

function hostPathKind(path: string): PathKind {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file'
  } catch {
    return 'missing'
  }
}
