/**
 * Prepare a container: from Docker's flags (RunOptions) to its spec and the
 * whole plan that starts it. Everything is checked here, before anything is
 * made: a bad flag, a missing image or a refused limit fails now, with one
 * line. It reads the image's files and the host; the only thing it takes is
 * a --userns=auto id range (released if preparing fails), and with planOnly
 * (--explain) not even that.
 */
import { existsSync, statSync } from 'node:fs'
import { hostname, hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import { defaultStateRoot, defaultStoreRoot, isRoot } from '../../paths.js'
import { randomHex } from '../../random.js'
import { checkControllers, resourcesFromFlags } from '../cgroup/cgroup-limits.js'
import { DEFAULT_CGROUP_PARENT, findCgroup2Mount, leafPath } from '../cgroup/cgroup.js'
import { planStart, type PathKind, type WritableLayer } from '../plan/plan-start.js'
import type { CloneVia } from '../plan/steps.js'
import { buildSpec, type HostNamespace } from '../spec/container-spec.js'
import { planNetwork, type NetworkPlan } from '../../network/plan-network.js'
import { sharedNamespaces } from '../spec/host-namespaces.js'
import { hostId } from '../spec/id-maps.js'
import { parseLogOptions, type LogConfig } from '../spec/log-options.js'
import { parseGroup, parsePasswd } from '../spec/resolve-user.js'
import { imageStopSignal, parseSignal } from '../spec/signals.js'
import type { IdMapping, Spec, SpecMount } from '../spec/spec.js'
import { parseUlimits } from '../spec/ulimits.js'
import { volumesFromFlags, withImageVolumes } from '../spec/volumes.js'
import { exitFile, logFile } from './containers.js'
import { resolveVolumes } from './container-volumes.js'
import { readImageFile } from './image-files.js'
import { rootFilesystem, type RootFilesystem } from './rootfs-source.js'
import type { PreparedContainer, RunOptions } from './run-options.js'
import { CONTAINER_NAME, ensureStateRoot } from './state.js'
import { allocateAutoRange, releaseAutoRange } from './userns-ranges.js'
import { effectiveHealthcheck } from '../health/health-config.js'

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

/** The cgroup v2 hierarchy and the limits; limits refused now when the host cannot apply them. */
function cgroupOf(o: RunOptions, root: boolean, planOnly: boolean) {
  const mount = o.cgroupParent === '' ? undefined : findCgroup2Mount()
  const resources = resourcesFromFlags(o.resources ?? {})
  if (resources && !planOnly) {
    if (!mount || !root) {
      throw new MiniRunError(`resource limits need a cgroup v2 hierarchy that mini-run may write${root ? ' (none is mounted)' : ' (rootless runs have no cgroup of their own)'}`, { code: 'ENOCONTROLLER' })
    }
    checkControllers(mount, resources)
  }
  return { mount: root || planOnly ? mount : undefined, resources }
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
  const cgroup = cgroupOf(o, root, planOnly)
  const healthcheck = effectiveHealthcheck(fs.image?.Healthcheck, o.healthcheck)
  const labels = fs.image?.Labels || o.labels ? { ...fs.image?.Labels, ...o.labels } : undefined
  const network = networkOf(o, id, fs, flags.hostNamespaces, { root, storeRoot, stateRoot })

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
    // the network's /etc files are bound over the image's, unless a volume is mounted there
    const networkMounts = network.mounts.filter((n) => !resolved.mounts.some((m) => m.destination === n.destination))
    const spec = specOf(o, id, fs, flags, cgroup, idMaps, [...networkMounts, ...resolved.mounts])
    const networkFiles = new Set(network.mounts.map((m) => m.source))
    const cgroupPath = cgroup.mount ? leafPath(cgroup.mount, o.cgroupParent ?? DEFAULT_CGROUP_PARENT, id) : undefined
    const plan = planStart({
      spec,
      rootfs: fs.source,
      writableLayer: writableLayerOf(fs, idMaps, root),
      cgroupPath,
      cgroupMount: cgroup.mount,
      init: o.init ?? false,
      setgroupsAllowed: !idMaps?.denySetgroups,
      pathKind: (path) => (networkFiles.has(path) ? 'file' : hostPathKind(path)),
      network,
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
      volumes: resolved.volumes.length ? resolved.volumes.map((v) => ({ name: v.name, destination: v.destination })) : undefined,
      usernsSlot,
      stopSignal: o.stopSignal ?? imageStop?.signal,
      stopTimeout: o.stopTimeout,
      logConfig: flags.logConfig,
      detached: o.detach !== undefined,
      autoRemove: o.detach?.autoRemove === true,
      network: network.mode === 'bridge' || network.mode === 'pasta' ? network : undefined,
      warnings: imageStop?.warning && o.stopSignal === undefined ? [imageStop.warning] : [],
      ...(labels ? { labels } : {}),
      ...(healthcheck ? { healthcheck } : {}),
      ...(healthcheck && o.detach?.healthCommand ? { healthRunner: o.detach.healthCommand(id) } : {}),
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

/** The network (src/network/): checked now, made after the clone by the plan's network step. */
function networkOf(
  o: RunOptions,
  id: string,
  fs: RootFilesystem,
  hostNamespaces: HostNamespace[],
  where: { root: boolean; storeRoot: string; stateRoot: string },
): NetworkPlan {
  const name = o.name ?? `mini-run-${id.slice(0, 12)}`
  const hostname = o.hostname || (hostNamespaces.includes('uts') || hostNamespaces.includes('network') ? osHostname() : id.slice(0, 12))
  return planNetwork({ ...o.networkFlags, network: o.network }, {
    id,
    name,
    hostname,
    storeRoot: where.storeRoot,
    stateRoot: where.stateRoot,
    rootless: !where.root,
    filesDir: fs.containerDir ?? join(where.stateRoot, id),
    rootfsDir: o.rootfs !== undefined ? fs.path : undefined,
    exposed: fs.image?.ExposedPorts ?? null,
  })
}

function hostPathKind(path: string): PathKind {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file'
  } catch {
    return 'missing'
  }
}
