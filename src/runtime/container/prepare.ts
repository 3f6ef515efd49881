/**
 * Prepare a container: from Docker's flags (RunOptions) to its spec and the
 * whole plan that starts it. Everything is checked here, before anything is
 * made: a bad flag, a missing image or a refused limit fails now, with one
 * line. It reads the image's files and the host; the only thing it takes is
 * a --userns=auto id range (released if preparing fails), and with planOnly
 * (--explain) not even that.
 */
import { randomName } from './random-name.js'
import { existsSync, readFileSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { resolve } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import { defaultStateRoot, defaultStoreRoot, isRoot, storeRootMode } from '../../paths.js'
import { randomHex } from '../../random.js'
import { DEFAULT_CGROUP_PARENT, leafPath } from '../cgroup/cgroup.js'
import { currentRootlessIds, type RootlessIds } from '../../rootless/subordinate-ids.js'
import { hostCapabilities } from '../spec/host-capabilities.js'
import { planStart, type PathKind, type WritableLayer } from '../plan/plan-start.js'
import type { RootfsSource } from '../plan/plan-rootfs.js'
import { kernelAtLeast } from '../kernel-version.js'
import { sysctlsOf, withNetworkDefaults } from '../spec/sysctls.js'
import type { CloneVia } from '../plan/steps.js'
import { buildSpec, entrypointOf, withStartEnv } from '../spec/container-spec.js'
import type { NetworkPlan } from '../../network/plan-network.js'
import { networkContainerOf, networkOf, portsDiscarded } from './container-network.js'
import { recordLinks, withLinks } from './container-links.js'
import { joinedNamespacesOf } from './container-namespaces.js'
import { sharedNamespaces } from '../spec/host-namespaces.js'
import { hostId } from '../spec/id-maps.js'
import { parseLogOptions, type LogConfig } from '../spec/log-options.js'
import { parseGroup, parsePasswd } from '../spec/resolve-user.js'
import { imageStopSignal, parseSignal } from '../spec/signals.js'
import type { IdMapping, Spec, SpecDevice, SpecMount, SpecSeccomp } from '../spec/spec.js'
import { parseUlimits } from '../spec/ulimits.js'
import { parentsFirst } from '../spec/mount-order.js'
import { dockerMountRecord, volumesFromFlags, withImageVolumes } from '../spec/volumes.js'
import { attachSocket, exitFile, logFile } from './containers.js'
import { resolveVolumes } from './container-volumes.js'
import { readImageFile } from './image-files.js'
import { rootFilesystem, type RootFilesystem } from './rootfs-source.js'
import { cgroupOf, devicesOf, seccompProfileOf } from './prepare-host.js'
import type { PreparedContainer, RunOptions } from './run-options.js'
import { givenFlags, type MonitorVia } from './start-input.js'
import { ensureStateRoot, givenContainerName, invalidNameMessage, NEW_CONTAINER_NAME } from './state.js'
import { allocateAutoRange, releaseAutoRange } from './userns-ranges.js'
import { checkBindSourceCreatable } from './bind-source.js'
import { inheritedVolumes } from './volumes-from.js'
import { checkBindSource, checkRootlessLayers, checkUserMapped, singleIdWarning } from './rootless-checks.js'
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
  /** Rootless: its maps, with subordinate ids (written by newuidmap/newgidmap) or one id only. */
  rootless?: RootlessIds
}

/**
 * The user namespace: a rootless run always has one (its uid is root
 * inside, and 1..65536 are the user's subordinate ids when /etc/subuid
 * gives them: rootless/subordinate-ids.ts); root on request, --userns=auto.
 */
function userNamespace(o: RunOptions, root: boolean): IdMaps | 'auto' | undefined {
  if (!root) {
    if (o.userns === 'auto') throw new UsageError('--userns=auto needs root: a rootless container has its own ids already (0 is you, 1..65536 your /etc/subuid range)')
    const ids = currentRootlessIds()
    return { uid: ids.uid, gid: ids.gid, denySetgroups: ids.kind === 'single', rootless: ids }
  }
  if (o.userns === 'auto') return 'auto'
  if (o.userns !== undefined && o.userns !== 'host' && o.userns !== '') throw new UsageError(`invalid --userns "${o.userns}": use "host" or "auto"`)
  return undefined
}

/** The flags checked before an image is even pulled. */
function checkFlags(o: RunOptions, root: boolean, userns: boolean, denySetgroups: boolean, stateRoot: string) {
  if (o.name !== undefined && !NEW_CONTAINER_NAME.test(o.name)) throw new UsageError(invalidNameMessage(o.name))
  if (o.stopSignal !== undefined) parseSignal(o.stopSignal) // a bad name fails now, not at stop
  if (o.stopTimeout !== undefined && !Number.isInteger(o.stopTimeout)) {
    throw new UsageError(`invalid --stop-timeout ${o.stopTimeout}: a whole number of seconds (-1: wait for ever)`)
  }
  const hostNamespaces = sharedNamespaces(o)
  const needHostUserns = hostNamespaces.filter((ns) => ns !== 'uts')
  if (userns && needHostUserns.length) {
    // mounting /proc, /sys or /dev/mqueue takes owning the namespace they show
    throw new UsageError(`--${needHostUserns[0] === 'cgroup' ? 'cgroupns' : needHostUserns[0]} host needs the host's user namespace: not ${root ? 'with --userns=auto' : 'in a rootless run'}`)
  }
  if (denySetgroups && o.groupAdd?.length) throw new UsageError('--group-add needs setgroups(2), which a rootless run may not use (user_namespaces(7))')
  const volumes = volumesFromFlags(o.volumes ?? {}, process.cwd(), inheritedVolumes(stateRoot, o.volumes?.volumesFrom))
  const exists = (source: string) => (root ? existsSync(source) : checkBindSource(source) === 'exists')
  const missingSources = volumes.filter((v) => v.mount.type === 'bind' && !v.volume && !exists(v.mount.source!))
  for (const { mount, createSource } of missingSources) {
    if (!createSource) throw new UsageError(`bind source path does not exist: ${mount.source}`)
    checkBindSourceCreatable(mount.source!)
  }
  if (o.startEnv?.length && o.detach) throw new TypeError('startEnv is for a foreground start: a detached container is started again from its state, which does not hold it')
  if (o.restart && o.restart.name !== 'no' && !o.detach) throw new UsageError('--restart needs a monitor to carry it out: use it with run -d, or create')
  return {
    hostNamespaces,
    sysctls: sysctlsOf(o.sysctls, o),
    rlimits: parseUlimits(o.ulimits ?? []),
    logConfig: parseLogOptions(o.logOpts ?? []),
    volumes,
    missingSources: [...new Set(missingSources.map((v) => v.mount.source!))],
    createSources: [...new Set(volumes.filter((v) => v.mount.type === 'bind' && !v.volume && v.createSource).map((v) => v.mount.source!))],
  }
}

export async function prepareContainer(given: RunOptions, planOnly = false): Promise<PreparedContainer> {
  const named = given.name === undefined ? given : { ...given, name: givenContainerName(given.name) }
  const id = newContainerId()
  const root = isRoot()
  // absolute: written into the state and the plan, read again from elsewhere
  const storeRoot = resolve(named.storeRoot ?? defaultStoreRoot())
  const stateRoot = resolve(named.stateRoot ?? defaultStateRoot())
  // --network container:X: X's hostname is the container's too, as in Docker (--uts host: the host's)
  const joined = networkContainerOf(named, stateRoot, root)
  const o = joined && named.uts !== 'host' ? { ...named, hostname: joined.hostname } : named
  const userns = userNamespace(o, root)
  // --pid/--ipc container:X: X's namespaces, joined at each start
  const joins = joinedNamespacesOf(o, stateRoot, root)
  const flags = checkFlags(o, root, userns !== undefined, userns !== undefined && userns !== 'auto' && userns.denySetgroups, stateRoot)
  const fs = await rootFilesystem(o, id, storeRoot, { inside: userns !== undefined, idmapped: userns === 'auto' })
  const warnings = userns !== undefined && userns !== 'auto' && userns.rootless && fs.source.kind === 'overlay' ? rootlessWarnings(fs, userns.rootless, o.image!) : []
  const imageStop = fs.image?.StopSignal ? imageStopSignal(fs.image.StopSignal) : undefined
  // the image's VOLUME paths get anonymous volumes, as in Docker
  const volumes = fs.image?.Volumes ? withImageVolumes(flags.volumes, Object.keys(fs.image.Volumes)) : flags.volumes
  if (userns === 'auto' && fs.source.kind !== 'overlay' && volumes.some((v) => v.volume)) {
    throw new UsageError('volumes under --userns=auto need an image: they are idmapped like its layers')
  }
  const devices = devicesOf(o)
  const cgroup = cgroupOf(o, id, root, planOnly, devices.rules)
  const healthcheck = effectiveHealthcheck(fs.image?.Healthcheck, o.healthcheck)
  // Docker's readable default: adjective_surname (taken already: start.ts picks another)
  const name = o.name ?? randomName()
  const network = recordLinks(networkOf(o, id, name, fs, flags.hostNamespaces, { root, storeRoot, stateRoot, ...(joined ? { networkOf: joined } : {}) }), stateRoot)

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
    const spec = specOf(o, id, fs, flags, cgroup, idMaps, parentsFirst([...networkMounts, ...resolved.mounts]), devices.nodes)
    if (idMaps?.rootless) checkUserMapped(spec, idMaps.rootless, o.user)
    const cgroupPath = cgroup.mount ? leafPath(cgroup.mount, o.cgroupParent ?? DEFAULT_CGROUP_PARENT, id) : undefined
    const input = {
      rootfs: fs.source,
      writableLayer: writableLayerOf(fs, idMaps, root),
      cgroupPath,
      cgroupMount: cgroup.mount,
      cgroupV1: cgroup.v1.length ? cgroup.v1 : undefined,
      deviceCgroup: cgroup.deviceCgroup || undefined,
      deviceFilter: cgroup.resources?.devices ? cgroup.deviceFilter : undefined,
      init: o.init ?? false,
      setgroupsAllowed: !idMaps?.denySetgroups,
      idMapHelpers: idMaps?.rootless?.kind === 'subordinate' ? { newuidmap: idMaps.rootless.newuidmap, newgidmap: idMaps.rootless.newgidmap } : undefined,
      network,
      ...(joins && { joins }),
      volumes: resolved.volumes.length
        ? { storeRoot, stateRoot, container: id, volumes: resolved.volumes, layers: o.rootfs === undefined ? fs.layers : undefined }
        : undefined,
    }
    // startEnv is in the plan only (a memfd the child reads), never in the spec the state records
    const first = { ...input, rootfs: firstMount(fs.source, o.rm === true), spec: withStartEnv(spec, o.startEnv), pathKind: containerPathKind(network), bindSources: flags.missingSources, via: cloneVia(o, id, stateRoot, flags.logConfig) }
    // create's plan only makes the filesystem: its links are looked up by each start (start-existing.ts)
    const plan = planStart(o.createOnly ? first : withLinks(first, stateRoot, name))
    const labels = { ...fs.imageLabels, ...o.labels }
    return {
      id,
      name,
      ...(o.name === undefined ? { nameGenerated: true } : {}),
      stateRoot,
      storeRoot,
      image: o.image,
      chainIds: fs.chainIds,
      spec,
      entrypointLength: entrypointOf(o, fs.image).length,
      plan,
      containerDir: fs.containerDir,
      cgroup: cgroupPath && cgroup.mount ? { path: cgroupPath, mount: cgroup.mount } : undefined,
      cgroupV1: cgroup.v1.length ? cgroup.v1 : undefined,
      volumes: resolved.volumes.length ? resolved.volumes.map((v) => ({ name: v.name, destination: v.destination })) : undefined,
      ...dockerMountRecord(volumes),
      usernsSlot,
      stopSignal: o.stopSignal ?? imageStop?.signal,
      stopTimeout: o.stopTimeout,
      logConfig: flags.logConfig,
      ...(o.logDriver === 'none' ? { logDriver: 'none' as const } : {}),
      detached: o.detach !== undefined,
      autoRemove: o.detach?.autoRemove === true,
      network: network.mode === 'bridge' || network.mode === 'pasta' ? network : undefined,
      warnings: [...warnings, ...cgroup.warnings, ...(imageStop?.warning && o.stopSignal === undefined ? [imageStop.warning] : []), ...[portsDiscarded(o)].filter((w) => w !== undefined)],
      labels: Object.keys(labels).length ? labels : undefined,
      imageId: fs.imageId,
      restartPolicy: o.restart && o.restart.name !== 'no' ? o.restart : undefined,
      // a later start (after create or exit) runs under a monitor, as `docker start` does
      startInput: { ...input, createSources: flags.createSources, given: givenFlags(o, fs.image), via: monitorVia(o, id, stateRoot, flags.logConfig) },
      ...(healthcheck ? { healthcheck } : {}),
      ...(healthcheck && o.healthCommand ? { healthRunner: o.healthCommand(id) } : {}),
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
    domainname: o.domainname || undefined,
    sysctls: withNetworkDefaults(flags.sysctls, { network: o.network, userns: idMaps !== undefined }),
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
    hostHostname: flags.hostNamespaces.length ? osHostname() : undefined,
    idMaps: idMaps ? { uid: idMaps.uid, gid: idMaps.gid } : undefined,
    cgroup2: cgroup.mount !== undefined,
    resources: cgroup.resources,
    deviceCgroup: cgroup.deviceCgroup,
    ...(o.shmSize !== undefined && { shmSize: o.shmSize }), ...(o.oomScoreAdj !== undefined && { oomScoreAdj: o.oomScoreAdj }),
    ...(o.annotations && { annotations: o.annotations }),
    mounts: mounts.length ? mounts : undefined,
    passwd: parsePasswd(readImageFile(fs.layers, 'etc/passwd') ?? ''),
    groups: parseGroup(readImageFile(fs.layers, 'etc/group') ?? ''),
    callerEnv: process.env,
  })
}

/** Rootless image runs: the layers' owners against the maps (rootless-checks.ts), and the one warning of a single id. */
function rootlessWarnings(fs: RootFilesystem, ids: RootlessIds, image: string): string[] {
  const layers = checkRootlessLayers(fs.layers, ids, image)
  return [...(ids.kind === 'single' ? [singleIdWarning(ids)] : []), ...(layers ? [layers] : [])]
}

/** The root filesystem as a first start mounts it: --rm's writable layer volatile, where the kernel has it (5.10). */
function firstMount(source: RootfsSource, rm: boolean): RootfsSource {
  return rm && source.kind === 'overlay' && kernelAtLeast('5.10') ? { ...source, volatile: true } : source
}

/** The directories of an image's writable layer, owned as the container's ids require. */
function writableLayerOf(fs: RootFilesystem, idMaps: IdMaps | undefined, root: boolean): WritableLayer | undefined {
  if (!fs.containerDir || !fs.top) return undefined
  // as root, layers keep the image's ids on disk (idmapped for --userns=auto);
  // a rootless store's are host ids already, and only the user's own can be
  // given without privileges (a top layer of a subordinate id's: the user's)
  const top = fs.top
  const own = { uid: process.getuid!(), gid: process.getgid!() }
  const rootlessOwner = top.uid === own.uid && top.gid === own.gid ? { uid: top.uid, gid: top.gid } : undefined
  return {
    containerDir: fs.containerDir,
    upperMode: fs.top.mode,
    // in a user namespace the writable layer belongs to the container's ids as the host sees them
    upperOwner: root ? { uid: hostId(idMaps?.uid, top.uid), gid: hostId(idMaps?.gid, top.gid) } : rootlessOwner,
    // its root has no capability over host-owned inodes: what it mounts on must be its own
    owner: root && idMaps ? { uid: hostId(idMaps.uid, 0), gid: hostId(idMaps.gid, 0) } : undefined,
    containersMode: storeRootMode(),
  }
}

/** Who clones: this process, or for run -d a monitor that stays, logs and records the exit. */
function cloneVia(o: RunOptions, id: string, stateRoot: string, log: LogConfig): CloneVia {
  return o.detach ? monitorVia(o, id, stateRoot, log) : { runtime: true }
}

function monitorVia(o: RunOptions, id: string, stateRoot: string, log: LogConfig): MonitorVia {
  const exitCommand = o.detach?.exitCommand?.(id)
  return {
    monitor: {
      // --log-driver none: the output goes nowhere (and is never rotated)
      log: o.logDriver === 'none' ? '/dev/null' : logFile(stateRoot, id),
      exitFile: exitFile(stateRoot, id),
      logMaxSize: o.logDriver === 'none' ? 0 : log.maxSize,
      logMaxFile: log.maxFile,
      ...(exitCommand ? { exitCommand } : {}),
      interactive: o.detach?.interactive === true && o.tty !== true,
      attachSocket: attachSocket(stateRoot, id),
      ...(o.detach?.waitAttach ? { waitAttach: true } : {}),
    },
  }
}

/**
 * What a bind source is, for its mount point: the network's /etc files are
 * files, though they are written only when it attaches (after the clone);
 * anything else as it is on the host now.
 */
export function containerPathKind(network: Pick<NetworkPlan, 'files'> | undefined): (path: string) => PathKind {
  const files = new Set(Object.values(network?.files ?? {}))
  return (path) => (files.has(path) ? 'file' : hostPathKind(path))
}

/**
 * A path as stat(2) sees it (links followed): missing, a directory, or
 * another file. Asked with access(2), twice for what exists (the path, then
 * the path with a slash, which only a directory has), not with statSync:
 * Node 20 makes a Stats of 14 numbers and four Dates for each, 1.5 kB of
 * young-generation space, and a run asks this of about fifteen paths
 * (Docker's masked and read-only paths, binds) where it should fit in that
 * space whole (late-scavenge.ts). existsSync makes no error of a
 * missing path, as the one of half the masked paths on a usual host.
 */
export function hostPathKind(path: string): PathKind {
  if (!existsSync(path)) return 'missing'
  return existsSync(path.endsWith('/') ? path : `${path}/`) ? 'dir' : 'file'
}
