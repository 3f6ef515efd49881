/**
 * `mini-run run`: prepare a container, start it, wait for it, clean up.
 *
 * prepareContainer is everything decided before clone() (and all that
 * --explain needs); runPrepared launches, waits and tears down.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { MiniRunError, UsageError } from '../errors.js'
import { createLeaf, DEFAULT_CGROUP_PARENT, destroyLeaf, findCgroup2Mount, type CgroupLeaf } from './cgroup.js'
import { buildSpec, type ImageRunConfig } from './container-spec.js'
import { readImageFile } from './image-files.js'
import { defaultStateRoot, defaultStoreRoot, isRoot } from './paths.js'
import { planStart, type PathKind, type RootfsSource } from './plan-start.js'
import { parseGroup, parsePasswd } from './resolve-user.js'
import type { IdMapping, Spec } from './spec.js'
import type { StartPlan } from './steps.js'

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
  /** "host" (the default as root) or "auto" (a user namespace mapping root to an unprivileged range). */
  userns?: string
  storeRoot?: string
  stateRoot?: string
  /** Relative to the cgroup v2 root; "" disables the cgroup. */
  cgroupParent?: string
  consoleSize?: { height: number; width: number }
  /** Resolve an image reference to its config and layer dirs (the image store). */
  resolveImage?: (ref: string, storeRoot: string) => Promise<ResolvedImageLike>
}

/** What the run path needs from an image. */
export interface ResolvedImageLike {
  name: string
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
  spec: Spec
  plan: StartPlan
  rootfs: RootfsSource
  idMaps?: { uid: IdMapping[]; gid: IdMapping[]; denySetgroups: boolean }
  /** Directories to remove afterwards (writable layer, mount point). */
  containerDir?: string
  cgroupMount?: string
  cgroupParent?: string
  /** Set when the pty socket is needed: [parent end, child end]. */
  pty: boolean
  init: boolean
}

export function newContainerId(): string {
  return randomBytes(32).toString('hex')
}

/** Ranges for --userns=auto when /etc/subuid names none for root (podman's default size). */
const AUTO_USERNS = { hostID: 100000, size: 65536 }

export async function prepareContainer(o: RunOptions, planOnly = false): Promise<PreparedContainer & { leafPath?: string }> {
  const id = newContainerId()
  const name = o.name ?? `mini-run-${id.slice(0, 12)}`
  if (o.name !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(o.name)) {
    throw new UsageError(`invalid container name "${o.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`)
  }
  const root = isRoot()
  const storeRoot = o.storeRoot ?? defaultStoreRoot()

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
    idMaps = {
      uid: [{ containerID: 0, ...AUTO_USERNS }],
      gid: [{ containerID: 0, ...AUTO_USERNS }],
      denySetgroups: false,
    }
  } else if (o.userns !== undefined && o.userns !== 'host' && o.userns !== '') {
    throw new UsageError(`invalid --userns "${o.userns}": use "host" or "auto"`)
  }
  if (idMaps && root) {
    throw new UsageError('--userns=auto is not supported yet: layers on disk belong to host uids and need idmapped mounts')
  }

  // --- the root filesystem ---
  let rootfs: RootfsSource
  let rootfsPath: string
  let layers: string[] // top first, for reading /etc/passwd
  let image: ImageRunConfig | undefined
  let containerDir: string | undefined
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
    }
  }

  const passwd = parsePasswd(readImageFile(layers, 'etc/passwd') ?? '')
  const groups = parseGroup(readImageFile(layers, 'etc/group') ?? '')

  const cgroupMount = o.cgroupParent === '' ? undefined : findCgroup2Mount()
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
    ...(idMaps ? { idMaps: { uid: idMaps.uid, gid: idMaps.gid } } : {}),
    cgroup2: cgroupMount !== undefined,
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
    pathKind: hostPathKind,
  })
  return {
    id,
    name,
    stateRoot: o.stateRoot ?? defaultStateRoot(),
    ...(o.image !== undefined ? { image: o.image } : {}),
    spec,
    plan,
    rootfs,
    ...(idMaps ? { idMaps } : {}),
    ...(containerDir ? { containerDir } : {}),
    ...(cgroupMount && root ? { cgroupMount, cgroupParent } : {}),
    pty: o.tty ?? false,
    init: o.init ?? false,
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
  let common = resolve(dirs[0]!, '..')
  while (!dirs.every((d) => d.startsWith(common + '/'))) common = resolve(common, '..')
  // lower dirs are <store>/layers/<id>/fs: chdir to <store>/layers
  return isAbsolute(common) ? common : resolve(common)
}

/** Make the writable layer and mount point; createLeaf for the cgroup. */
export function createContainerDirs(p: PreparedContainer): void {
  if (p.rootfs.kind !== 'overlay' || !p.containerDir) return
  for (const dir of [p.rootfs.workDir, p.spec.root.path]) mkdirSync(dir, { recursive: true, mode: 0o700 })
  // overlayfs shows the upper dir's own mode and owner as "/": give it the image's
  const top = statSync(join(p.rootfs.layersDir, p.rootfs.lowerDirs[0]!))
  mkdirSync(p.rootfs.upperDir, { mode: top.mode & 0o7777 })
  chmodSync(p.rootfs.upperDir, top.mode & 0o7777)
  chownSync(p.rootfs.upperDir, top.uid, top.gid)
}

export function removeContainerDirs(p: PreparedContainer): void {
  if (p.containerDir) rmSync(p.containerDir, { recursive: true, force: true })
}

export function createCgroup(p: PreparedContainer): CgroupLeaf | undefined {
  if (!p.cgroupMount || p.cgroupParent === undefined) return undefined
  return createLeaf(p.cgroupMount, p.cgroupParent, p.id)
}

export async function removeCgroup(p: PreparedContainer, leaf: CgroupLeaf | undefined): Promise<void> {
  if (leaf && p.cgroupMount) await destroyLeaf(leaf, p.cgroupMount)
}

export { defaultStateRoot }
