/**
 * `mini-run run`: prepare a container, start it, wait for it, clean up.
 *
 * prepareContainer is everything decided before clone() (and all that
 * --explain needs); runPrepared launches, waits and tears down.
 */
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { MiniRunError, UsageError } from '../errors.js'
import { ensurePrivateDir } from '../private-dir.js'
import { randomHex } from '../random.js'
import { applyLimits, checkControllers, resourcesFromFlags, type ResourceFlags } from './cgroup-limits.js'
import { createLeaf, DEFAULT_CGROUP_PARENT, destroyLeaf, findCgroup2Mount, type CgroupLeaf } from './cgroup.js'
import { buildSpec, type HostNamespace, type ImageRunConfig } from './container-spec.js'
import { readImageFile } from './image-files.js'
import { parseSignal } from './signals.js'
import { parseUlimits } from './ulimits.js'
import { volumesFromFlags, type VolumeFlags } from './volumes.js'
import { defaultStateRoot, defaultStoreRoot, isRoot } from '../paths.js'
import { planStart, type PathKind, type RootfsSource } from './plan-start.js'
import { parseGroup, parsePasswd } from './resolve-user.js'
import type { IdMapping, Spec } from './spec.js'
import type { StartPlan } from './steps.js'
import { CONTAINER_NAME, ensureStateRoot } from './state.js'
import { allocateAutoRange, releaseAutoRange } from './userns-ranges.js'
import * as native from '../native/lib.js'
import { planNetwork, type NetworkFlags, type NetworkPlan } from '../network/index.js'

export interface RunOptions {
  /** An image reference, resolved in the store. */
  image?: string
  /** A root filesystem directory (podman's --rootfs); exclusive with image. */
  rootfs?: string
  command: string[]
  entrypoint?: string
  env?: string[]
  workdir?: string
  user?: string
  hostname?: string
  name?: string
  readOnly?: boolean
  tty?: boolean
  init?: boolean
  capAdd?: string[]
  capDrop?: string[]
  /** Docker's --network: bridge (the default), none (only lo), host, or a network's name; --pid, --ipc and --uts host. */
  network?: string
  /** Docker's -p, -P, --network-alias, --dns..., --add-host, --ip, --mac-address (src/network/). */
  networkFlags?: Omit<NetworkFlags, 'network'>
  pid?: string
  ipc?: string
  uts?: string
  /** Docker's --group-add: supplementary groups, names from the image's /etc/group. */
  groupAdd?: string[]
  /** Docker's --stop-signal and --stop-timeout (seconds), for `stop`. */
  stopSignal?: string
  stopTimeout?: number
  /** Docker's --ulimit NAME=SOFT[:HARD] flags. */
  ulimits?: string[]
  /** Docker's default seccomp filter; false: none (--security-opt seccomp=unconfined). */
  seccomp?: boolean
  /** "host" (the default as root) or "auto" (a user namespace mapping root to an unprivileged range). */
  userns?: string
  storeRoot?: string
  stateRoot?: string
  /** Relative to the cgroup v2 root; "" disables the cgroup. */
  cgroupParent?: string
  /** Docker's --memory, --memory-swap, --pids-limit, --cpus, --cpu-shares. */
  resources?: ResourceFlags
  /** Docker's -v, --mount and --tmpfs (volumes.ts). */
  volumes?: VolumeFlags
  consoleSize?: { height: number; width: number }
  /** Resolve an image reference to its config and layer dirs (the image store). */
  resolveImage?: (ref: string, storeRoot: string) => Promise<ResolvedImageLike>
}

/** What the run path needs from an image. */
export interface ResolvedImageLike {
  name: string
  /** The layers' chain ids, bottom first. */
  chainIds?: string[]
  config: { config?: ImageRunConfig }
  /** Unpacked layer directories, bottom layer first. */
  layerDirs: string[]
}

export interface PreparedContainer {
  id: string
  name: string
  stateRoot: string
  /** The image reference as given, or undefined for --rootfs. */
  image?: string
  chainIds?: string[]
  /** --stop-signal or the image's StopSignal (Docker's stop sends it first). */
  stopSignal?: string
  /** --stop-timeout: seconds `stop` waits before SIGKILL, when it is not given -t. */
  stopTimeout?: number
  spec: Spec
  plan: StartPlan
  rootfs: RootfsSource
  idMaps?: { uid: IdMapping[]; gid: IdMapping[]; denySetgroups: boolean }
  /** Directories to remove afterwards (writable layer, mount point). */
  containerDir?: string
  cgroupMount?: string
  cgroupParent?: string
  /** --userns=auto as root: the slot of ids taken for it (userns-ranges.ts). */
  usernsSlot?: number
  /** Set when the pty socket is needed: [parent end, child end]. */
  pty: boolean
  init: boolean
  /** Its network, set up between clone and the sync byte (src/network/). */
  network?: NetworkPlan
}

/** --network host|none, --pid/--ipc/--uts host|private: the namespaces to share. */
function sharedNamespaces(o: RunOptions): HostNamespace[] {
  const shared: HostNamespace[] = []
  const modes: [HostNamespace, string, string | undefined, string[]][] = [
    // a network of its own (bridge, none, a network's name) is src/network's to check
    ['network', 'network', o.network === 'host' ? 'host' : undefined, []],
    ['pid', 'pid', o.pid, ['private']],
    ['ipc', 'ipc', o.ipc, ['private', 'shareable']],
    ['uts', 'uts', o.uts, ['private']],
  ]
  for (const [ns, flag, mode, own] of modes) {
    if (mode === undefined || mode === '' || own.includes(mode)) continue
    if (mode !== 'host') {
      throw new UsageError(`--${flag} ${mode} is not supported: use ${[...own, 'host'].join(' or ')}${ns === 'network' ? ' (a container has only lo, or the host\'s network)' : ''}`)
    }
    shared.push(ns)
  }
  return shared
}

export function newContainerId(): string {
  return randomHex(32)
}

export async function prepareContainer(o: RunOptions, planOnly = false): Promise<PreparedContainer> {
  const id = newContainerId()
  const name = o.name ?? `mini-run-${id.slice(0, 12)}`
  if (o.name !== undefined && !CONTAINER_NAME.test(o.name)) {
    throw new UsageError(`invalid container name "${o.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`)
  }
  const root = isRoot()
  const storeRoot = o.storeRoot ?? defaultStoreRoot()
  const stateRoot = o.stateRoot ?? defaultStateRoot()

  // --- user namespace: always rootless; on request (--userns=auto) as root ---
  let idMaps: PreparedContainer['idMaps']
  if (!root) {
    const uid = process.getuid!()
    const gid = process.getgid!()
    idMaps = {
      uid: [{ containerID: 0, hostID: uid, size: 1 }],
      gid: [{ containerID: 0, hostID: gid, size: 1 }],
      denySetgroups: true,
    }
  } else if (o.userns === 'auto') {
    // the range itself is taken below, once nothing else can fail first
    idMaps = { uid: [], gid: [], denySetgroups: false }
  } else if (o.userns !== undefined && o.userns !== 'host' && o.userns !== '') {
    throw new UsageError(`invalid --userns "${o.userns}": use "host" or "auto"`)
  }

  if (o.stopSignal !== undefined) parseSignal(o.stopSignal) // a bad name fails now, not at stop
  if (o.stopTimeout !== undefined && !(Number.isInteger(o.stopTimeout) && o.stopTimeout >= 0)) {
    throw new UsageError(`invalid --stop-timeout ${o.stopTimeout}: a whole number of seconds`)
  }

  // --- namespaces shared with the host ---
  const hostNamespaces = sharedNamespaces(o)
  const needHostUserns = hostNamespaces.filter((ns) => ns !== 'uts')
  if (idMaps && needHostUserns.length) {
    // mounting /proc, /sys or /dev/mqueue takes owning the namespace they show
    throw new UsageError(
      `--${needHostUserns[0] === 'network' ? 'network' : needHostUserns[0]} host needs the host's user namespace: not ${root ? 'with --userns=auto' : 'in a rootless run'}`,
    )
  }

  if (idMaps?.denySetgroups && o.groupAdd?.length) {
    throw new UsageError('--group-add needs setgroups(2), which a rootless run may not use (user_namespaces(7))')
  }

  // --- -v, --mount, --tmpfs, --ulimit: checked before an image is pulled ---
  const rlimits = parseUlimits(o.ulimits ?? [])
  const volumes = volumesFromFlags(o.volumes ?? {})
  const missingSources = volumes.filter((v) => v.mount.type === 'bind' && !existsSync(v.mount.source!))
  for (const { mount, createSource } of missingSources) {
    if (!createSource) throw new UsageError(`bind source path does not exist: ${mount.source}`)
  }

  // --- the root filesystem ---
  let rootfs: RootfsSource
  let rootfsPath: string
  let layers: string[] // top first, for reading /etc/passwd
  let image: ImageRunConfig | undefined
  let containerDir: string | undefined
  let chainIds: string[] | undefined
  if (o.rootfs !== undefined) {
    if (o.image !== undefined) throw new UsageError('--rootfs and an image are exclusive')
    rootfsPath = resolve(o.rootfs)
    if (!existsSync(rootfsPath) || !statSync(rootfsPath).isDirectory()) {
      throw new UsageError(`--rootfs ${o.rootfs}: not a directory`)
    }
    rootfs = { kind: 'directory' }
    layers = [rootfsPath]
  } else {
    if (!o.image) throw new UsageError('an image or --rootfs is required')
    if (!o.resolveImage) throw new MiniRunError('no image store to resolve images with')
    const resolved = await o.resolveImage(o.image, storeRoot)
    chainIds = resolved.chainIds
    image = resolved.config.config ?? {}
    layers = [...resolved.layerDirs].reverse()
    containerDir = join(storeRoot, 'containers', id)
    rootfsPath = join(containerDir, 'rootfs')
    const layersDir = commonParent(layers)
    rootfs = {
      kind: 'overlay',
      layersDir,
      lowerDirs: layers.map((l) => relative(layersDir, l)),
      upperDir: join(containerDir, 'upper'),
      workDir: join(containerDir, 'work'),
      userxattr: idMaps !== undefined,
      ...(idMaps && root ? { idmapped: { fds: [], mountDir: join(containerDir, 'lower') } } : {}),
    }
  }

  // --- the network: checked now, made after clone (src/network/) ---
  const hostnameOf = o.hostname ?? (hostNamespaces.includes('uts') || hostNamespaces.includes('network') ? hostname() : id.slice(0, 12))
  const network = planNetwork({ ...o.networkFlags, ...(o.network !== undefined ? { network: o.network } : {}) }, {
    id,
    name,
    hostname: hostnameOf,
    storeRoot,
    stateRoot,
    rootless: !root,
    filesDir: containerDir ?? join(stateRoot, id),
    ...(o.rootfs !== undefined ? { rootfsDir: rootfsPath } : {}),
    exposed: image?.ExposedPorts ?? null,
  })
  const networkFiles = new Set(network.mounts.map((m) => m.source))

  const passwd = parsePasswd(readImageFile(layers, 'etc/passwd') ?? '')
  const groups = parseGroup(readImageFile(layers, 'etc/group') ?? '')

  const cgroupMount = o.cgroupParent === '' ? undefined : findCgroup2Mount()
  const resources = resourcesFromFlags(o.resources ?? {})
  if (resources && !planOnly) {
    if (!cgroupMount || !root) {
      throw new MiniRunError(`resource limits need a cgroup v2 hierarchy that mini-run may write${root ? ' (none is mounted)' : ' (rootless runs have no cgroup of their own)'}`, { code: 'ENOCONTROLLER' })
    }
    checkControllers(cgroupMount, resources)
  }
  let usernsSlot: number | undefined
  if (root && idMaps) {
    if (!planOnly) ensureStateRoot(stateRoot)
    const taken = allocateAutoRange(stateRoot, id, { dryRun: planOnly })
    idMaps.uid = taken.uid
    idMaps.gid = taken.gid
    if (!planOnly) usernsSlot = taken.slot
  }
  try {
    return finishPrepare()
  } catch (err) {
    if (usernsSlot !== undefined) releaseAutoRange(stateRoot, id, usernsSlot)
    throw err
  }

  function finishPrepare(): PreparedContainer {
  const spec = buildSpec({
    id,
    rootfsPath,
    ...(image ? { image } : {}),
    command: o.command,
    ...(o.entrypoint !== undefined ? { entrypoint: o.entrypoint } : {}),
    env: o.env ?? [],
    ...(o.workdir ? { workdir: o.workdir } : {}),
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.hostname ? { hostname: o.hostname } : {}),
    readOnly: o.readOnly ?? false,
    tty: o.tty ?? false,
    ...(o.consoleSize ? { consoleSize: o.consoleSize } : {}),
    capAdd: o.capAdd ?? [],
    capDrop: o.capDrop ?? [],
    ...(o.seccomp === false ? { seccomp: false } : {}),
    rlimits,
    ...(o.groupAdd?.length ? { groupAdd: o.groupAdd } : {}),
    ...(hostNamespaces.length ? { hostNamespaces, hostHostname: hostname() } : {}),
    ...(idMaps ? { idMaps: { uid: idMaps.uid, gid: idMaps.gid } } : {}),
    cgroup2: cgroupMount !== undefined,
    ...(resources ? { resources } : {}),
    ...(volumes.length || network.mounts.length ? { mounts: [...network.mounts.filter((n) => !volumes.some((v) => v.mount.destination === n.destination)), ...volumes.map((v) => v.mount)] } : {}),
    passwd,
    groups,
    callerEnv: process.env,
  })

  const cgroupParent = o.cgroupParent ?? DEFAULT_CGROUP_PARENT
  const plan = planStart({
    spec,
    rootfs,
    ...(cgroupMount && (root || planOnly) ? { cgroupPath: join(cgroupMount, cgroupParent, id) } : {}),
    ...(o.tty ? { ptySocketFd: PTY_FD_PLACEHOLDER } : {}),
    init: o.init ?? false,
    setgroupsAllowed: !idMaps?.denySetgroups,
    pathKind: (path) => (networkFiles.has(path) ? 'file' : hostPathKind(path)),
    networkSetup: network.explain,
  })
  // -v of a missing host directory: made once nothing else can fail the plan
  if (!planOnly) for (const { mount } of missingSources) mkdirSync(mount.source!, { recursive: true, mode: 0o755 })
  return {
    id,
    name,
    stateRoot,
    ...(usernsSlot !== undefined ? { usernsSlot } : {}),
    ...(o.image !== undefined ? { image: o.image } : {}),
    ...(chainIds ? { chainIds } : {}),
    ...(o.stopSignal ?? image?.StopSignal ? { stopSignal: o.stopSignal ?? image?.StopSignal } : {}),
    ...(o.stopTimeout !== undefined ? { stopTimeout: o.stopTimeout } : {}),
    spec,
    plan,
    rootfs,
    ...(idMaps ? { idMaps } : {}),
    ...(containerDir ? { containerDir } : {}),
    ...(cgroupMount && root ? { cgroupMount, cgroupParent } : {}),
    pty: o.tty ?? false,
    init: o.init ?? false,
    ...(network.mode !== 'none' && network.mode !== 'host' ? { network } : {}),
  }
  }
}

/** Replaced by the real fd number once the socket exists (see startPrepared). */
export const PTY_FD_PLACEHOLDER = -1

function hostPathKind(path: string): PathKind {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file'
  } catch {
    return 'missing'
  }
}

function commonParent(dirs: string[]): string {
  if (dirs.length === 0) throw new MiniRunError('image has no layers')
  // lower dirs are <store>/layers/<id>/fs: this finds <store>/layers
  let common = resolve(dirs[0]!, '..')
  while (!dirs.every((d) => d.startsWith(common + '/'))) common = resolve(common, '..')
  return common
}

/** Make the writable layer and mount point; createLeaf for the cgroup. */
export function createContainerDirs(p: PreparedContainer): void {
  if (p.rootfs.kind !== 'overlay' || !p.containerDir) return
  // containers/ may be searched by anyone (a user namespace's root too);
  // each container's own directory is private
  ensurePrivateDir(dirname(p.containerDir), { mode: 0o711, what: 'containers directory' })
  mkdirSync(p.containerDir, { mode: 0o700 })
  for (const dir of [p.rootfs.workDir, p.spec.root.path]) mkdirSync(dir, { mode: 0o700 })
  // overlayfs shows the upper dir's own mode and owner as "/": give it the image's
  const top = statSync(join(p.rootfs.layersDir, p.rootfs.lowerDirs[0]!))
  mkdirSync(p.rootfs.upperDir, { mode: top.mode & 0o7777 })
  chmodSync(p.rootfs.upperDir, top.mode & 0o7777)
  // In a user namespace (--userns=auto) the writable layer belongs to the
  // container's ids as the host sees them.
  const uid = hostId(p.idMaps?.uid, top.uid)
  const gid = hostId(p.idMaps?.gid, top.gid)
  chownSync(p.rootfs.upperDir, uid, gid)
  if (p.rootfs.idmapped) attachIdmappedLayers(p)
  if (p.idMaps && isRoot()) {
    // the container's root has no capability over host-owned inodes: what it
    // mounts on and writes to must be its own
    const [cuid, cgid] = [hostId(p.idMaps.uid, 0), hostId(p.idMaps.gid, 0)]
    const lower = p.rootfs.idmapped?.mountDir
    const dirs = [p.containerDir, p.rootfs.workDir, p.spec.root.path, ...(lower ? [lower, ...p.rootfs.lowerDirs.map((_, i) => join(lower, String(i)))] : [])]
    for (const dir of dirs) chownSync(dir, cuid, cgid)
  }
}

function hostId(maps: IdMapping[] | undefined, id: number): number {
  if (!maps) return id
  const m = maps.find((e) => id >= e.containerID && id < e.containerID + e.size)
  return m ? m.hostID + (id - m.containerID) : 65534
}

/**
 * The layers on disk belong to host uids: a detached idmapped clone of each
 * (mount_setattr(2) MOUNT_ATTR_IDMAP, made here in the host's user
 * namespace as the kernel requires) shows them with the container's ids.
 * The fds are inherited by the child, which attaches them.
 */
function attachIdmappedLayers(p: PreparedContainer): void {
  if (p.rootfs.kind !== 'overlay' || !p.rootfs.idmapped || !p.idMaps) return
  const format = (maps: IdMapping[]) => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n')
  const userns = native.usernsFd(format(p.idMaps.uid), format(p.idMaps.gid))
  try {
    const fds = p.rootfs.idmapped.fds
    for (const [i, lower] of p.rootfs.lowerDirs.entries()) {
      mkdirSync(join(p.rootfs.idmapped.mountDir, String(i)), { recursive: true })
      fds.push(native.idmappedTree(join(p.rootfs.layersDir, lower), userns, false))
    }
    for (const step of p.plan.steps) {
      if (step.op === 'move_mount') step.fd = fds[Number(step.target.split('/').pop())]!
    }
  } finally {
    closeSync(userns)
  }
}

/** Close the parent's copies of the idmapped layer fds once the child has its own. */
export function closeIdmappedLayers(p: PreparedContainer): void {
  if (p.rootfs.kind !== 'overlay' || !p.rootfs.idmapped) return
  for (const fd of p.rootfs.idmapped.fds.splice(0)) closeSync(fd)
}

export function removeContainerDirs(p: PreparedContainer): void {
  if (!p.containerDir) return
  // Usually the writable layer is empty (the command wrote nothing): a few
  // rmdirs then, without loading fs.rmSync's recursive walker on every run.
  if (!removeEmptyDirs(p.containerDir)) rmSync(p.containerDir, { recursive: true, force: true })
}

/** Remove a tree of empty directories; false (and nothing promised) if it holds anything else. */
function removeEmptyDirs(dir: string): boolean {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !removeEmptyDirs(join(dir, entry.name))) return false
    }
    rmdirSync(dir)
    return true
  } catch {
    return false
  }
}

export function createCgroup(p: PreparedContainer): CgroupLeaf | undefined {
  if (!p.cgroupMount || p.cgroupParent === undefined) return undefined
  const leaf = createLeaf(p.cgroupMount, p.cgroupParent, p.id)
  try {
    if (p.spec.linux.resources) applyLimits(p.cgroupMount, leaf.path, p.spec.linux.resources)
  } catch (err) {
    closeSync(leaf.fd)
    rmdirSync(leaf.path)
    throw err
  }
  return leaf
}

export async function removeCgroup(p: PreparedContainer, leaf: CgroupLeaf | undefined): Promise<void> {
  if (leaf && p.cgroupMount) await destroyLeaf(leaf, p.cgroupMount)
}

