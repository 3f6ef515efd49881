/**
 * The filesystem part of a start, as child steps: the root filesystem, the
 * spec's mounts and device nodes, the switch of root, the masked and
 * read-only paths. Pure.
 */
import { posix } from 'node:path'
import { MNT_DETACH, MS, mountFlagNames, parseMountOptions } from '../spec/mount-options.js'
import type { Spec, SpecMount } from '../spec/spec.js'
import { addTo, type StepBody } from './plan-process.js'
import type { SectionName } from './sections.js'
import type { ChildStep, VolumeUse } from './steps.js'
import { hasMountOptions } from '../spec/local-volume.js'
import { sysctlPath } from '../spec/sysctls.js'
import { sharedShmOf, type JoinedNamespaces } from './plan-join.js'

/** How the root filesystem is assembled in the child's mount namespace. */
export type RootfsSource =
  | {
      kind: 'overlay'
      /** Directory the lower dirs are relative to: the step list chdirs there. */
      layersDir: string
      /** Lower dirs, top layer first (overlayfs order), relative to layersDir. */
      lowerDirs: string[]
      upperDir: string
      workDir: string
      /** Use user.overlay.* xattrs: required inside a user namespace. */
      userxattr: boolean
      /**
       * --userns=auto: the lower dirs arrive as idmapped mounts (slots
       * layer-0, layer-1..., top layer first) that the child attaches under
       * mountDir/<i>.
       */
      idmapped?: { mountDir: string }
      /**
       * --rm: overlayfs's "volatile" (Linux 5.10), no sync of the writable
       * layer, which goes at the exit anyway (podman does the same). Only for
       * a first mount: overlayfs leaves work/incompat/volatile behind and
       * refuses to mount that layer again while it is there.
       */
      volatile?: boolean
    }
  | { kind: 'directory' }

export type PathKind = 'dir' | 'file' | 'missing'

export interface RootfsInput {
  spec: Spec
  rootfs: RootfsSource
  /** A device cgroup is in force (OCI linux.resources.devices): the rootfs need not be nodev. */
  deviceCgroup?: boolean
  /** What a host path is (bind sources, and masked paths: /proc and /sys are the host kernel's). */
  pathKind: (hostPath: string) => PathKind
  /** The container's volumes: one mounted from its options is named in the error of its mount step. */
  volumes?: { volumes: readonly VolumeUse[] }
  /** --ipc container:X: X's /dev/shm instead of a tmpfs of its own (plan-join.ts). */
  joins?: JoinedNamespaces
}

/** The slot of the idmapped mount of lower dir i (top layer first). */
export const layerSlot = (i: number) => `layer-${i}`
/** The slot of the idmapped mount of the spec's mount i (a volume under --userns=auto). */
export const mountSlot = (i: number) => `mount-${i}`

export function rootfsSteps(input: RootfsInput): ChildStep[] {
  const steps: ChildStep[] = []
  const at = (section: SectionName) => addTo(steps, section)
  rootSteps(input, at('rootfs'))
  mountSteps(input, at('mounts'))
  switchRootSteps(input.spec.root.path, at('switch-root'))
  sysctlSteps(input.spec, at('sysctl'))
  hideSteps(input, at('hide'))
  readOnlySteps(input, at('rootfs'))
  return steps
}

type Add = (step: StepBody) => void

/**
 * The root filesystem and the spec's bind mounts (volumes, -v), nothing
 * else: no /proc, /dev or /sys, no switch of root. `cp` of a container that
 * does not run looks at its files through a mount namespace made of these
 * alone (plan-view.ts).
 */
export function rootfsViewSteps(input: RootfsInput): ChildStep[] {
  const steps: ChildStep[] = []
  const add = addTo(steps, 'rootfs')
  rootSteps({ ...input, rootfs: input.rootfs.kind === 'overlay' ? { ...input.rootfs, idmapped: undefined } : input.rootfs }, add)
  input.spec.mounts.forEach((m, i) => {
    if (m.type === 'bind' || parseMountOptions(m.options).flags & MS.BIND) planMount({ ...m, uidMappings: undefined, gidMappings: undefined }, i, input.spec.root.path, input, add)
  })
  return steps
}

/** The root filesystem: the image's layers under a writable one, or a directory. */
function rootSteps(input: RootfsInput, add: Add): void {
  const rootfs = input.spec.root.path
  const propagation = input.spec.linux.rootfsPropagation
  if (propagation && propagation !== 'rprivate') {
    add({ op: 'mount', target: '/', flags: PROPAGATION[propagation] ?? MS.REC | MS.PRIVATE, why: `linux.rootfsPropagation ${propagation}: the container's mounts and the host's propagate as asked` })
  } else {
    add({ op: 'mount', target: '/', flags: MS.REC | MS.PRIVATE, why: 'make every mount private, so nothing done from here on propagates back to the host' })
  }
  if (input.rootfs.kind === 'directory') {
    add({
      op: 'mount', source: rootfs, target: rootfs, flags: MS.BIND,
      why: 'bind the rootfs directory onto itself: pivot_root(2) needs the new root to be a mount point (not recursive: a mount below it would keep its own dev flag)',
    })
    if (!input.deviceCgroup) add({ op: 'mount', target: rootfs, flags: MS.BIND | MS.REMOUNT | MS.NODEV, keepLocked: true, why: 'nodev: no device cgroup guards device nodes in the rootfs' })
    return
  }
  const o = input.rootfs
  let lowerDirs = o.lowerDirs
  if (o.idmapped) {
    const { mountDir } = o.idmapped
    o.lowerDirs.forEach((lower, i) => {
      add({
        op: 'move_mount', fd: { slot: layerSlot(i) }, target: `${mountDir}/${i}`,
        why: `attach layer ${lower} through its idmapped mount: a file owned by host uid N shows as N inside the user namespace`,
      })
    })
    lowerDirs = o.lowerDirs.map((_, i) => String(i))
  }
  add({ op: 'chdir', path: o.idmapped ? o.idmapped.mountDir : o.layersDir, why: 'mount options fit in one page: the lower dirs are given relative to here' })
  const data = [`lowerdir=${lowerDirs.join(':')}`, `upperdir=${o.upperDir}`, `workdir=${o.workDir}`, ...(o.userxattr ? ['userxattr'] : []), ...(o.volatile ? ['volatile'] : [])].join(',')
  add({
    op: 'mount', source: 'overlay', target: rootfs, fstype: 'overlay', flags: MS.NODEV, data,
    why: 'the image layers, read-only, under a private writable layer: the image itself is never modified; nodev because no device cgroup guards device nodes shipped in an image' +
      (o.volatile ? '; volatile: --rm removes the layer at the exit, so overlayfs need not sync it to disk' : ''),
  })
}

/** The spec's mounts (/proc, /dev, /sys, then -v and volumes), the allowed device nodes, /dev's links. */
function mountSteps(input: RootfsInput, add: Add): void {
  const { spec } = input
  const rootfs = spec.root.path
  spec.mounts.forEach((m, i) => planMount(m, i, rootfs, input, add))
  for (const dev of spec.linux.devices ?? []) {
    const parent = dev.path.slice(0, dev.path.lastIndexOf('/'))
    if (parent !== '/dev' && parent !== '') add({ op: 'mkdir', root: rootfs, path: parent, mode: 0o755, why: `the directory of ${dev.path}` })
    add({ op: 'mkfile', root: rootfs, path: dev.path, mode: 0o666, why: `a mount point for ${dev.path}` })
    const source = dev.hostPath ?? dev.path
    add({
      op: 'mount', source, root: rootfs, target: dev.path, flags: MS.BIND,
      why: `bind the host's ${source} (${dev.type} ${dev.major}:${dev.minor}): /dev is a nodev tmpfs, so only nodes bound in like this work`,
    })
  }
  if (!spec.mounts.some((m) => m.destination === '/dev')) return
  const links: [string, string][] = [
    ['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'], ['/dev/stdout', '/proc/self/fd/1'],
    ['/dev/stderr', '/proc/self/fd/2'], ['/dev/ptmx', 'pts/ptmx'],
  ]
  for (const [path, target] of links) {
    add({ op: 'symlink', root: rootfs, path, target, why: path === '/dev/ptmx' ? 'new ptys come from the container\'s own devpts instance' : 'the standard /dev links' })
  }
}

function switchRootSteps(rootfs: string, add: Add): void {
  add({ op: 'chdir', path: rootfs, why: 'pivot_root(".", ".") works on the current directory' })
  add({ op: 'pivot_root', newRoot: '.', putOld: '.', why: 'make the rootfs "/"; the old root is stacked on top of it (pivot_root(2): new_root and put_old may be the same)' })
  add({ op: 'umount', path: '.', flags: MNT_DETACH, why: 'detach the old root: the host filesystem is now unreachable' })
  add({ op: 'chdir', path: '/', why: 'leave no reference to the old root' })
}

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.REC | MS.PRIVATE, slave: MS.SLAVE, rslave: MS.REC | MS.SLAVE,
  shared: MS.SHARED, rshared: MS.REC | MS.SHARED, unbindable: MS.UNBINDABLE, runbindable: MS.REC | MS.UNBINDABLE,
}

/** linux.sysctl: each parameter belongs to a namespace of the container's (checked when the config was read). */
function sysctlSteps(spec: Spec, add: Add): void {
  for (const [key, value] of Object.entries(spec.linux.sysctl ?? {})) {
    add({ op: 'write_file', root: '/', path: sysctlPath(key), content: value, why: `sysctl ${key}=${value}, in the container's own namespace` })
  }
}

/** Masked and read-only paths, after pivot_root: resolved in the container. */
function hideSteps(input: RootfsInput, add: Add): void {
  const { spec } = input
  for (const path of spec.linux.maskedPaths ?? []) {
    const kind = input.pathKind(path)
    if (kind === 'missing') continue
    add(
      kind === 'dir'
        ? { op: 'mount', source: 'tmpfs', root: '/', target: path, fstype: 'tmpfs', flags: MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, optional: true, why: `an empty read-only tmpfs over ${path}` }
        : { op: 'mount', source: '/dev/null', root: '/', target: path, flags: MS.BIND, optional: true, why: `/dev/null over ${path}` },
    )
  }
  for (const path of spec.linux.readonlyPaths ?? []) {
    add({ op: 'mount', source: path, root: '/', target: path, flags: MS.BIND | MS.REC, optional: true, why: `writes to ${path} would reach the host kernel: bind it onto itself...` })
    add({ op: 'mount', root: '/', target: path, flags: MS.BIND | MS.REMOUNT | MS.RDONLY, optional: true, keepLocked: true, why: '...then make the bind read-only' })
  }
}

/** --read-only: last, so that mount points could still be made for the mounts above. */
function readOnlySteps(input: RootfsInput, add: Add): void {
  if (!input.spec.root.readonly) return
  // before it is read-only: Docker makes a missing working directory at create, in the writable layer
  add({ op: 'mkdir', root: '/', path: input.spec.process.cwd, mode: 0o755, why: 'the working directory, made before the root is read-only if the image lacks it' })
  add({ op: 'mount', root: '/', target: '/', flags: MS.BIND | MS.REMOUNT | MS.RDONLY, keepLocked: true, why: '--read-only: the root filesystem cannot be written; last, once every mount point is made' })
}

function planMount(m: SpecMount, index: number, rootfs: string, input: RootfsInput, add: Add): void {
  // the default /dev/shm (a user's -v or --tmpfs there is kept, as Docker keeps it)
  const shm = m.destination === '/dev/shm' && m.type === 'tmpfs' && m.source === 'shm' ? sharedShmOf(input.joins) : undefined
  if (shm) {
    add({ op: 'mkdir', root: rootfs, path: m.destination, mode: 0o755, why: `a mount point for ${m.destination}` })
    add({
      op: 'bind_from', ...shm, source: '/dev/shm', fstype: 'tmpfs', root: rootfs, target: m.destination,
      why: `--ipc container:${shm.container}: its /dev/shm, the tmpfs its POSIX shared memory (shm_open) is files of, as Docker shares it (--shm-size is that one's); `
        + 'a bind takes its source from the caller\'s own mount namespace only, so the mount is cloned from inside that container\'s',
    })
    return
  }
  const { flags, propagation, data } = parseMountOptions(m.options)
  const isBind = (flags & MS.BIND) !== 0 || m.type === 'bind'
  const dest = m.destination
  const volume = input.volumes?.volumes.find((v) => v.destination === dest && hasMountOptions(v.options))?.name
  const named = volume !== undefined ? { volume } : {}
  // --mount volume-subpath: only that path of the volume's _data, resolved beneath it by the child
  const subpath = input.volumes?.volumes.find((v) => v.destination === dest && v.subpath !== undefined)
  if (isBind) {
    const source = m.source ?? ''
    if (input.pathKind(subpath ? posix.join(source, subpath.subpath!) : source) === 'file') {
      // a file's mount point needs its directory (a scratch image has no /etc)
      if (posix.dirname(dest) !== '/') add({ op: 'mkdir', root: rootfs, path: posix.dirname(dest), mode: 0o755, why: `the directory of ${dest}'s mount point` })
      add({ op: 'mkfile', root: rootfs, path: dest, mode: 0o644, why: `a mount point for ${dest}` })
    }
    else add({ op: 'mkdir', root: rootfs, path: dest, mode: 0o755, why: `a mount point for ${dest}` })
    if (m.uidMappings) {
      add({
        op: 'move_mount', fd: { slot: mountSlot(index) }, root: rootfs, target: dest,
        why: `attach ${source} at ${dest} through its idmapped mount: its files' owners show as the same ids inside the user namespace`,
      })
    } else if (subpath) {
      add({
        op: 'bind_beneath', base: source, subpath: subpath.subpath!, root: rootfs, target: dest, flags: (flags & MS.REC) | MS.BIND, volume: subpath.name,
        why: `bind ${subpath.subpath} of volume ${subpath.name} at ${dest}: resolved beneath its data, so a symlink its containers left there cannot lead out of it`,
      })
    } else {
      add({ op: 'mount', source, root: rootfs, target: dest, flags: (flags & (MS.BIND | MS.REC)) | MS.BIND, ...named, why: `bind ${source} into the container at ${dest}${volume !== undefined ? ` (volume ${volume}: o=bind)` : ''}` })
    }
    const rest = flags & ~(MS.BIND | MS.REC | MS.REMOUNT)
    if (rest) {
      add({ op: 'mount', root: rootfs, target: dest, flags: MS.BIND | MS.REMOUNT | rest, keepLocked: true, why: `apply ${mountFlagNames(rest)} to the bind (a bind mount ignores them on creation)` })
    }
  } else {
    add({ op: 'mkdir', root: rootfs, path: dest, mode: 0o755, why: `a mount point for ${dest}` })
    add({ op: 'mount', source: m.source ?? m.type ?? 'none', root: rootfs, target: dest, fstype: m.type ?? '', flags, data, ...named, why: mountWhy(dest, input.spec) ?? (volume !== undefined ? `volume ${volume}: its filesystem, mounted with the options it was created with` : `mount ${m.type} at ${dest}`) })
  }
  if (propagation) add({ op: 'mount', root: rootfs, target: dest, flags: propagation, why: `propagation ${mountFlagNames(propagation)}` })
}

/** Why a standard mount is there; /proc and /sys show whichever PID and network namespace the container has. */
function mountWhy(dest: string, spec: Spec): string | undefined {
  const own = (type: string) => spec.linux.namespaces.some((ns) => ns.type === type)
  if (dest === '/proc' && !own('pid')) return 'a fresh procfs: with --pid host it shows every process of the host'
  if (dest === '/sys' && !own('network')) return 'sysfs, read-only: with --network host or container: it shows the network devices of the namespace joined'
  if (dest === '/sys/fs/cgroup' && !own('cgroup')) return 'cgroup2, read-only: with --cgroupns host it shows the whole tree, from the host\'s root'
  return MOUNT_WHY[dest]
}

const MOUNT_WHY: Record<string, string> = {
  '/proc': 'a fresh procfs: it shows only the processes of the new PID namespace',
  '/dev': 'an empty tmpfs for /dev (nodev: nodes made in it cannot be opened)',
  '/dev/pts': 'a new devpts instance: the container\'s ptys are its own, numbered from 0',
  '/dev/shm': 'POSIX shared memory, private to the container',
  '/dev/mqueue': 'the IPC namespace\'s POSIX message queues',
  '/sys': 'sysfs, read-only: it shows the new network namespace\'s devices',
  '/sys/fs/cgroup': 'cgroup2, read-only, rooted at the container\'s own cgroup (cgroup namespace)',
}
