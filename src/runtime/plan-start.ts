/**
 * From a container spec to the ordered steps that start it: a pure function.
 *
 * Everything a container is, is decided here: which namespaces, which
 * mounts in which order, which ids and capabilities. The native side only
 * replays the list (native/stage.c), and `mini-run run --explain` prints it.
 */
import { limitFiles } from './cgroup-limits.js'
import { MNT_DETACH, MS, mountFlagNames, parseMountOptions } from './mount-options.js'
import { compileSeccomp } from './seccomp-bpf.js'
import { RLIMIT_NUMBERS, rlimitValue } from './ulimits.js'
import type { IdMapping, NamespaceType, Spec, SpecMount } from './spec.js'
import type { ChildStep, ParentAction, StartPlan } from './steps.js'

export const CLONE = {
  NEWTIME: 0x00000080,
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const

const NAMESPACE_FLAGS: Record<NamespaceType, number> = {
  mount: CLONE.NEWNS,
  cgroup: CLONE.NEWCGROUP,
  uts: CLONE.NEWUTS,
  ipc: CLONE.NEWIPC,
  user: CLONE.NEWUSER,
  pid: CLONE.NEWPID,
  network: CLONE.NEWNET,
  time: CLONE.NEWTIME,
}

const NAMESPACE_WHY: Record<NamespaceType, string> = {
  pid: 'its own process numbers: the command is PID 1 and sees no host process',
  mount: 'its own mount table: mounts made inside never reach the host and vanish with it',
  uts: 'its own hostname',
  ipc: 'its own System V IPC objects and POSIX message queues',
  network: 'its own network stack: only a loopback interface',
  user: 'its own user ids: root inside is an unprivileged user outside',
  cgroup: 'its own view of the cgroup tree, rooted at its leaf',
  time: 'its own monotonic and boot clocks',
}

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
       * --userns=auto: the lower dirs arrive as detached idmapped mounts
       * (fds, top layer first) that the child attaches under mountDir/<i>.
       */
      idmapped?: { fds: number[]; mountDir: string }
    }
  | { kind: 'directory' }

export type PathKind = 'dir' | 'file' | 'missing'

export interface PlanInput {
  spec: Spec
  rootfs: RootfsSource
  /** cgroup v2 leaf the child is cloned into (for --explain). */
  cgroupPath?: string
  /** With -t: the child's end of the socket the pty master is sent over. */
  ptySocketFd?: number
  /** Run a minimal init as PID 1 that reaps zombies and forwards signals. */
  init?: boolean
  /** False in a user namespace made by an unprivileged user: setgroups(2) is denied there. */
  setgroupsAllowed: boolean
  /** What a host path is (bind sources, and masked paths: /proc and /sys are the host kernel's). */
  pathKind: (hostPath: string) => PathKind
  /** The parent's network steps, between the id maps and the sync byte (src/network/). */
  networkSetup?: ParentAction[]
}

const LIMIT_WHY: Record<string, string> = {
  'memory.max': '--memory: past this the kernel reclaims, then OOM-kills inside the cgroup only',
  'memory.swap.max': '--memory-swap: how much of it may be swapped out',
  'pids.max': '--pids-limit: fork() fails with EAGAIN past this many tasks (a fork bomb stays contained)',
  'cpu.max': '--cpus: the cgroup may run this many microseconds per period, then it is throttled',
  'cpu.weight': '--cpu-shares: its share of CPU time when CPUs are contended',
}

const ROOT_MAP_WHY = 'the kernel requires a privileged process outside the namespace to write the map'

export function planStart(input: PlanInput): StartPlan {
  const { spec } = input
  const rootfs = spec.root.path
  const steps: ChildStep[] = []
  const add = (step: ChildStep) => steps.push(step)

  let cloneFlags = 0
  const parentBefore: ParentAction[] = []
  const parentAfterClone: ParentAction[] = []
  const userns = spec.linux.namespaces.some((ns) => ns.type === 'user')

  if (input.cgroupPath) {
    parentBefore.push({
      what: `mkdir ${input.cgroupPath}`,
      why: 'a cgroup v2 leaf of its own: limits apply to it and cgroup.kill ends every process in it',
    })
    for (const f of limitFiles(spec.linux.resources ?? {})) {
      parentBefore.push({ what: `write "${f.value}" to ${input.cgroupPath}/${f.file}`, why: LIMIT_WHY[f.file] ?? 'a resource limit' })
    }
  }
  const nsNames: string[] = []
  for (const ns of spec.linux.namespaces) {
    cloneFlags |= NAMESPACE_FLAGS[ns.type]
    nsNames.push(ns.type)
  }
  parentBefore.push({
    what: `clone3(${nsNames.map((n) => `CLONE_NEW${n === 'network' ? 'NET' : n === 'mount' ? 'NS' : n.toUpperCase()}`).join('|')}${input.cgroupPath ? '|CLONE_INTO_CGROUP' : ''})`,
    why: 'the container is a new process born in new namespaces: ' +
      spec.linux.namespaces.map((ns) => `${ns.type}: ${NAMESPACE_WHY[ns.type]}`).join('; '),
  })
  if (userns) {
    if (!input.setgroupsAllowed) {
      parentAfterClone.push({
        what: 'write "deny" to /proc/<pid>/setgroups',
        why: 'an unprivileged user may map only its own ids, and only once setgroups(2) is disabled (user_namespaces(7))',
      })
    }
    parentAfterClone.push({ what: `write /proc/<pid>/uid_map: ${formatMap(spec.linux.uidMappings)}`, why: ROOT_MAP_WHY })
    parentAfterClone.push({ what: `write /proc/<pid>/gid_map: ${formatMap(spec.linux.gidMappings)}`, why: ROOT_MAP_WHY })
  }
  parentAfterClone.push(...(input.networkSetup ?? []))
  parentAfterClone.push({
    what: 'write one byte to the sync pipe',
    why: 'the child waits for it: an execve before the id maps exist would drop all its capabilities',
  })
  parentAfterClone.push({
    what: 'child: execveat(sealed memfd copy of mini-run-stage)',
    why: 'the steps run in a small static program, never in a copy of node: /proc/self/exe then points at an immutable anonymous file, not a host binary (CVE-2019-5736)',
  })

  // --- the root filesystem ----------------------------------------------
  add({
    op: 'mount', target: '/', flags: MS.REC | MS.PRIVATE,
    why: 'make every mount private, so nothing done from here on propagates back to the host',
  })
  if (input.rootfs.kind === 'overlay') {
    const o = input.rootfs
    let lowerDirs = o.lowerDirs
    if (o.idmapped) {
      const { fds, mountDir } = o.idmapped
      o.lowerDirs.forEach((_, i) => {
        add({
          // the fd is made by the parent just before clone (-1 until then)
          op: 'move_mount', fd: fds[i] ?? -1, target: `${mountDir}/${i}`,
          why: `attach layer ${o.lowerDirs[i]} through an idmapped mount: files owned by host uid N appear as N inside the user namespace`,
        })
      })
      lowerDirs = o.lowerDirs.map((_, i) => String(i))
    }
    add({
      op: 'chdir', path: o.idmapped ? o.idmapped.mountDir : o.layersDir,
      why: 'mount options are limited to one page: lower dirs are given relative to the layer store',
    })
    const data = [
      `lowerdir=${lowerDirs.join(':')}`,
      `upperdir=${o.upperDir}`,
      `workdir=${o.workDir}`,
      ...(o.userxattr ? ['userxattr'] : []),
    ].join(',')
    add({
      op: 'mount', source: 'overlay', target: rootfs, fstype: 'overlay', flags: MS.NODEV, data,
      why: 'the image layers, read-only, under a private writable layer: the image itself is never modified; nodev because no device cgroup guards device nodes shipped in an image',
    })
  } else {
    add({
      op: 'mount', source: rootfs, target: rootfs, flags: MS.BIND,
      why: 'bind the rootfs directory onto itself: pivot_root(2) needs the new root to be a mount point (not recursive: a mount below it would keep its own dev flag)',
    })
    add({
      op: 'mount', target: rootfs, flags: MS.BIND | MS.REMOUNT | MS.NODEV, keepLocked: true,
      why: 'nodev: no device cgroup guards device nodes in the rootfs',
    })
  }

  // --- the spec's mounts, resolved inside the rootfs ----------------------
  for (const m of spec.mounts) planMount(m, rootfs, input, add)

  // --- /dev: only the allowed device nodes --------------------------------
  for (const dev of spec.linux.devices ?? []) {
    add({ op: 'mkfile', root: rootfs, path: dev.path, mode: 0o666, why: `a mount point for ${dev.path}` })
    add({
      op: 'mount', source: dev.path, root: rootfs, target: dev.path, flags: MS.BIND,
      why: `bind the host's ${dev.path} (${dev.type} ${dev.major}:${dev.minor}): /dev is a nodev tmpfs, so only nodes bound in like this work`,
    })
  }
  if (spec.mounts.some((m) => m.destination === '/dev')) {
    const links: [string, string][] = [
      ['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'], ['/dev/stdout', '/proc/self/fd/1'],
      ['/dev/stderr', '/proc/self/fd/2'], ['/dev/ptmx', 'pts/ptmx'],
    ]
    for (const [path, target] of links) {
      add({ op: 'symlink', root: rootfs, path, target, why: path === '/dev/ptmx' ? 'new ptys come from the container\'s own devpts instance' : 'the standard /dev links' })
    }
  }

  // --- identity -----------------------------------------------------------
  if (spec.hostname !== undefined) {
    add({ op: 'sethostname', name: spec.hostname, why: 'the UTS namespace has its own hostname' })
  }
  if (spec.domainname) add({ op: 'setdomainname', name: spec.domainname, why: 'the UTS namespace has its own domain name' })
  if (spec.linux.namespaces.some((ns) => ns.type === 'network')) {
    add({ op: 'link_up', ifname: 'lo', why: 'a new network namespace has only lo, and it starts down' })
  }

  // --- switch root ---------------------------------------------------------
  add({ op: 'chdir', path: rootfs, why: 'pivot_root(".", ".") works on the current directory' })
  add({
    op: 'pivot_root', newRoot: '.', putOld: '.',
    why: 'make the rootfs "/"; the old root is stacked on top of it (pivot_root(2): new_root and put_old may be the same)',
  })
  add({ op: 'umount', path: '.', flags: MNT_DETACH, why: 'detach the old root: the host filesystem is now unreachable' })
  add({ op: 'chdir', path: '/', why: 'leave no reference to the old root' })

  // --- masked and read-only paths (after pivot_root: resolved in the container) ---
  for (const path of spec.linux.maskedPaths ?? []) {
    const kind = input.pathKind(path)
    if (kind === 'missing') continue
    if (kind === 'dir') {
      add({
        op: 'mount', source: 'tmpfs', root: '/', target: path, fstype: 'tmpfs', flags: MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, optional: true,
        why: `hide ${path}: it exposes host kernel state`,
      })
    } else {
      add({
        op: 'mount', source: '/dev/null', root: '/', target: path, flags: MS.BIND, optional: true,
        why: `hide ${path}: it exposes host kernel state`,
      })
    }
  }
  for (const path of spec.linux.readonlyPaths ?? []) {
    add({
      op: 'mount', source: path, root: '/', target: path, flags: MS.BIND | MS.REC, optional: true,
      why: `${path} writes go to the host kernel: bind it onto itself...`,
    })
    add({
      op: 'mount', root: '/', target: path, flags: MS.BIND | MS.REMOUNT | MS.RDONLY, optional: true, keepLocked: true,
      why: '...then make the bind read-only',
    })
  }
  // last, so that mount points could still be made for the mounts above
  if (spec.root.readonly) {
    add({
      op: 'mount', root: '/', target: '/', flags: MS.BIND | MS.REMOUNT | MS.RDONLY, keepLocked: true,
      why: '--read-only: the root filesystem cannot be written',
    })
  }

  // --- the process --------------------------------------------------------
  for (const step of processSteps(spec, input)) add(step)

  return { cloneFlags, parentBefore, parentAfterClone, steps }
}

/**
 * The process part, shared by a container's start and by exec: terminal,
 * working directory, identity, capabilities, descriptors, execve.
 */
export function processSteps(
  spec: Spec,
  input: { ptySocketFd?: number; init?: boolean; setgroupsAllowed: boolean; createCwd?: boolean },
): ChildStep[] {
  const steps: ChildStep[] = []
  const add = (step: ChildStep) => steps.push(step)
  const proc = spec.process
  add({ op: 'setsid', why: 'a new session: the container has no controlling terminal of the host' })
  if (proc.terminal && input.ptySocketFd !== undefined) {
    add({
      op: 'open_pty', socketFd: input.ptySocketFd, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0,
      why: 'a pty from the container\'s devpts becomes its controlling terminal and stdio; the master goes to the runtime',
    })
  }
  if (input.createCwd !== false) {
    add({
      op: 'mkdir', root: '/', path: proc.cwd, mode: 0o755,
      why: 'the working directory is created if the image lacks it, as Docker does',
    })
  }
  add({ op: 'chdir', path: proc.cwd, why: 'the working directory' })

  for (const r of proc.rlimits ?? []) {
    add({
      op: 'setrlimit', resource: RLIMIT_NUMBERS[r.type] ?? -1, name: r.type, soft: rlimitValue(r.soft), hard: rlimitValue(r.hard),
      why: '--ulimit: the command inherits it; set while the stage still has its capabilities',
    })
  }
  const caps = proc.capabilities ?? {}
  add({
    op: 'cap_bounding', caps: caps.bounding ?? [],
    why: 'drop from the bounding set every capability the container must never regain, even through setuid binaries',
  })
  const { uid, gid } = proc.user
  if (uid !== 0) add({ op: 'keepcaps', value: 1, why: 'keep the permitted set across setresuid, to set it explicitly next' })
  if (input.setgroupsAllowed) {
    add({ op: 'setgroups', gids: proc.user.additionalGids ?? [], why: 'supplementary groups from the image\'s /etc/group, none of the host\'s' })
  }
  add({ op: 'setresgid', gid, why: 'the user\'s group' })
  add({ op: 'setresuid', uid, why: 'the user' })
  add({
    op: 'capset', effective: caps.effective ?? [], permitted: caps.permitted ?? [], inheritable: caps.inheritable ?? [],
    why: 'the capability sets; execve then recomputes them (a non-root user keeps none)',
  })
  add({ op: 'cap_ambient', caps: caps.ambient ?? [], why: 'ambient capabilities survive execve for a non-root user: none unless asked' })
  if (proc.noNewPrivileges) {
    add({ op: 'no_new_privs', why: 'no setuid bit or file capability can raise privileges from here on' })
  }
  if (spec.linux.seccomp) {
    const denied = (spec.linux.seccomp.syscalls ?? []).filter((r) => r.action !== 'SCMP_ACT_ALLOW').flatMap((r) => r.names)
    add({
      op: 'seccomp', filter: compileSeccomp(spec.linux.seccomp),
      why: `Docker's default seccomp restrictions: ${new Set(denied).size} syscalls fail (${[...new Set(denied)].slice(0, 6).join(', ')}...); set after the mounts, which it refuses`,
    })
  }
  add({ op: 'close_fds', from: 3, why: 'no file descriptor of the runtime leaks in: only 0, 1 and 2 survive execve' })
  if (input.init) {
    add({ op: 'fork_init', why: '--init: PID 1 is a minimal init that reaps zombies and forwards signals to the command' })
  }
  add({
    op: 'exec', path: pathOf(proc.env), args: proc.args, env: proc.env,
    why: 'become the command; the report pipe closes on success (close-on-exec), which tells the runtime it started',
  })

  return steps
}

function planMount(m: SpecMount, rootfs: string, input: PlanInput, add: (s: ChildStep) => void): void {
  const { flags, propagation, data } = parseMountOptions(m.options)
  const isBind = (flags & MS.BIND) !== 0 || m.type === 'bind'
  const dest = m.destination
  if (isBind) {
    const source = m.source ?? ''
    const kind = input.pathKind(source)
    if (kind === 'file') add({ op: 'mkfile', root: rootfs, path: dest, mode: 0o644, why: `a mount point for ${dest}` })
    else add({ op: 'mkdir', root: rootfs, path: dest, mode: 0o755, why: `a mount point for ${dest}` })
    add({
      op: 'mount', source, root: rootfs, target: dest, flags: (flags & (MS.BIND | MS.REC)) | MS.BIND,
      why: `bind ${source} into the container at ${dest}`,
    })
    const rest = flags & ~(MS.BIND | MS.REC | MS.REMOUNT)
    if (rest) {
      add({
        op: 'mount', root: rootfs, target: dest, flags: MS.BIND | MS.REMOUNT | rest, keepLocked: true,
        why: `apply ${mountFlagNames(rest)} to the bind (a bind mount ignores them on creation)`,
      })
    }
  } else {
    add({ op: 'mkdir', root: rootfs, path: dest, mode: 0o755, why: `a mount point for ${dest}` })
    add({
      op: 'mount', source: m.source ?? m.type ?? 'none', root: rootfs, target: dest, fstype: m.type ?? '', flags, data,
      why: MOUNT_WHY[dest] ?? `mount ${m.type} at ${dest}`,
    })
  }
  if (propagation) {
    add({ op: 'mount', root: rootfs, target: dest, flags: propagation, why: `propagation ${mountFlagNames(propagation)}` })
  }
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

function formatMap(maps: IdMapping[] | undefined): string {
  return (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join(', ') || '(none)'
}

/** The PATH the command is searched in: the container's, or Docker's default. */
export function pathOf(env: readonly string[]): string {
  let path = DEFAULT_PATH
  for (const e of env) if (e.startsWith('PATH=')) path = e.slice(5)
  return path
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
