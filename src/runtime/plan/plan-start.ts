/**
 * From a container spec to every step that starts it, the runtime's and
 * the child's: a pure function.
 *
 * Everything a container is, is decided here: which namespaces, which
 * directories and cgroup the runtime makes, which mounts in which order,
 * which ids and capabilities. The runtime carries the host steps out
 * (process/run-host-steps.ts), the native stage replays the child steps
 * (native/stage.c), and `mini-run run --explain` prints both.
 */
import { dirname, join } from 'node:path'
import { delegationChain } from '../cgroup/cgroup-limits.js'
import { placedLimitFiles } from '../cgroup/cgroup-placement.js'
import { deviceFilterProgram } from '../cgroup/device-bpf.js'
import type { V1Leaf } from '../cgroup/cgroup-v1.js'
import { formatIdMap } from '../spec/id-maps.js'
import type { NetworkPlan } from '../../network/plan-network.js'
import { overlapsNetwork, syncWaitIndex } from './plan-sync.js'
import type { Spec } from '../spec/spec.js'
import { NAMESPACE_FLAGS, NAMESPACE_WHY } from './namespaces.js'
import { addTo, processSteps } from './plan-process.js'
import { layerSlot, mountSlot, rootfsSteps, type PathKind, type RootfsSource } from './plan-rootfs.js'
import { childSlots } from './child-kinds.js'
import { joinChildSteps, joinHostSteps, withoutJoinedNamespaces, type JoinedNamespaces } from './plan-join.js'
import { type ChildStep, type CloneVia, type HookState, type HostStep, type Owner, type StartPlan, type VolumeClaims } from './steps.js'

export type { PathKind, RootfsSource }
export { processSteps } from './plan-process.js'

/** The writable layer of an image's container: directories the runtime makes before the clone. */
export interface WritableLayer {
  /** <store>/containers/<id>: the upper, work and mount-point dirs live in it. */
  containerDir: string
  /** overlayfs shows the upper dir's mode and owner as "/": the image's top layer's. */
  upperMode: number
  /** Undefined: the runtime's own ids (rootless, when the top layer's owner is not the user's). */
  upperOwner?: Owner
  /** As root with a user namespace: the container's root must own what it mounts on. */
  owner?: Owner
  /** The mode of the store's containers/: 0711 as root (default), 0700 for a user (paths.ts storeRootMode). */
  containersMode?: number
}

export interface PlanInput {
  spec: Spec
  rootfs: RootfsSource
  writableLayer?: WritableLayer
  /** The cgroup v2 leaf the child is cloned into, in the hierarchy mounted at cgroupMount; its limits come from the spec. */
  cgroupPath?: string
  cgroupMount?: string
  /** --init: PID 1 is a minimal init that reaps zombies and forwards signals. */
  init?: boolean
  /** False in a user namespace made by an unprivileged user: setgroups(2) is denied there. */
  setgroupsAllowed: boolean
  /** Rootless with subordinate ids: the setuid helpers that write the maps (rootless/subordinate-ids.ts). */
  idMapHelpers?: { newuidmap: string; newgidmap: string }
  pathKind: (hostPath: string) => PathKind
  /** -v sources that do not exist yet, to make before the start. */
  bindSources?: string[]
  /** The volumes to claim (and fill from the image's layers, top first, when given) before the clone. */
  volumes?: VolumeClaims
  /** Its network (src/network/plan-network.ts), attached between the id maps and the sync byte. */
  network?: NetworkPlan
  /** --pid/--ipc container:X: joined at each start, as --network container:X (plan-join.ts). */
  joins?: JoinedNamespaces
  /** Who clones: this process (the default), or a monitor for run -d. */
  via?: CloneVia
  /**
   * The container's filesystem exists already (`start` after `create`, a
   * restart): its writable layer's directories are not made again and its
   * volumes stay claimed; only what each start needs anew is planned.
   */
  made?: boolean
  /** Leaves in cgroup v1 hierarchies, for the limits whose controller v2 lacks (a hybrid host: cgroup-v1.ts). */
  cgroupV1?: V1Leaf[]
  /** OCI create: the child waits on this FIFO until `start` (runc's exec.fifo). */
  startGate?: { fifo: string }
  /** OCI --console-socket: the pty master goes to this unix socket, the caller's, instead of back to the runtime. */
  consoleSocket?: string
  /** A device cgroup is in force (OCI linux.resources.devices): the rootfs need not be nodev. */
  deviceCgroup?: boolean
  /** Enforce linux.resources.devices with an eBPF program on the v2 leaf (no v1 devices hierarchy). */
  deviceFilter?: boolean
  /** What OCI hooks read on stdin (config.json's hooks need it). */
  hookState?: HookState
}

/** The slot of an existing namespace the child joins. */
const namespaceSlot = (type: string) => `ns-${type}`

const LIMIT_WHY: Record<string, string> = {
  'memory.max': '--memory: past this the kernel reclaims, then OOM-kills inside the cgroup only',
  'memory.limit_in_bytes': '--memory: past this the kernel reclaims, then OOM-kills inside the cgroup only',
  'memory.swap.max': '--memory-swap: how much of it may be swapped out',
  'memory.memsw.limit_in_bytes': '--memory-swap: memory and swap together (v1 counts them as one)',
  'pids.max': '--pids-limit: fork() fails with EAGAIN past this many tasks (a fork bomb stays contained)',
  'cpu.max': '--cpus, or --cpu-quota and --cpu-period: the cgroup may run this many microseconds per period, then it is throttled',
  'cpu.cfs_quota_us': '--cpus or --cpu-quota: the cgroup may run this many microseconds per period, then it is throttled',
  'cpu.weight': '--cpu-shares: its share of CPU time when CPUs are contended',
  'cpu.shares': '--cpu-shares: its share of CPU time when CPUs are contended',
  'cpu.cfs_period_us': '--cpu-period: the period --cpu-quota counts in',
  'cpuset.cpus': '--cpuset-cpus: the CPUs its tasks may run on',
  'cpuset.mems': '--cpuset-mems: the memory nodes its tasks may allocate from',
  'memory.low': '--memory-reservation: memory the kernel leaves it under pressure from elsewhere; above it, it is reclaimed first',
  'memory.soft_limit_in_bytes': '--memory-reservation: under memory pressure the kernel reclaims it down to this first',
  'devices.deny': 'the device cgroup: which device nodes may be opened or made, whatever /dev holds',
  'devices.allow': 'the device cgroup: which device nodes may be opened or made, whatever /dev holds',
}

const MAP_WHY = 'the kernel requires a privileged process outside the namespace to write the map (user_namespaces(7))'
const HELPER_WHY = {
  uid_map: 'you may map only your own uid; newuidmap, setuid root, maps the range /etc/subuid gives you as well (newuidmap(1))',
  gid_map: 'the same for groups, from /etc/subgid; setgroups(2) stays allowed, so --group-add works (newgidmap(1))',
}

export function planStart(given: PlanInput): StartPlan {
  // --network/--pid/--ipc container:X: cloned without that namespace, it joins X's (plan-join.ts)
  const input = withoutJoinedNamespaces(given)
  const { spec } = input
  const joinsPid = spec.linux.namespaces.some((ns) => ns.type === 'pid' && ns.path)
  const child: ChildStep[] = [
    ...joinChildSteps(input),
    ...joinSteps(spec),
    // as for --pid container:X (plan-join.ts): /proc, mounted next, shows the mounter's PID namespace
    ...(joinsPid ? [{ op: 'fork_relay' as const, section: 'join' as const, why: 'setns into a PID namespace moves only the children: the child goes on there (/proc shows the mounter\'s namespace), this process waits for it and relays signals' }] : []),
    ...rootfsSteps(input),
    ...identitySteps(spec),
    ...processSteps(spec, {
      setgroupsAllowed: input.setgroupsAllowed,
      startGate: input.startGate ? { fifo: { slot: 'exec-fifo' } } : undefined,
      ptySocket: spec.process.terminal ? { slot: 'pty-socket' } : undefined,
      init: input.init ? { why: '--init: PID 1 stays a minimal init that reaps zombies and forwards signals; its child becomes the command' } : undefined,
    }),
  ]
  const waitAt = overlapsNetwork(input) ? syncWaitIndex(input.network!, child) : undefined
  if (waitAt !== undefined) {
    child.splice(waitAt, 0, {
      op: 'sync_wait', pipe: { slot: 'sync' }, section: child[waitAt]?.section ?? 'command',
      why: 'the steps above ran while the runtime attached the network; the next need what it wrote (/etc/hosts, /etc/resolv.conf), and the command its interface',
    })
  }
  return { host: hostSteps(input, child, waitAt !== undefined), child, legend: input.writableLayer ? { C: input.writableLayer.containerDir } : undefined }
}


/** Existing namespaces to join (namespaces[].path), first: the mounts and names below belong to them. */
function joinSteps(spec: Spec): ChildStep[] {
  return spec.linux.namespaces
    .filter((ns) => ns.path)
    .map((ns) => ({
      op: 'setns', pidfd: { slot: namespaceSlot(ns.type) }, nstype: NAMESPACE_FLAGS[ns.type], section: 'join',
      why: `join the existing ${ns.type} namespace ${ns.path}`,
    }))
}

function identitySteps(spec: Spec): ChildStep[] {
  const steps: ChildStep[] = []
  if (spec.hostname !== undefined) steps.push({ op: 'sethostname', name: spec.hostname, section: 'identity', why: 'the UTS namespace has its own hostname' })
  if (spec.domainname) steps.push({ op: 'setdomainname', name: spec.domainname, section: 'identity', why: 'the UTS namespace has its own domain name' })
  if (spec.linux.namespaces.some((ns) => ns.type === 'network' && !ns.path)) {
    steps.push({ op: 'link_up', ifname: 'lo', section: 'identity', why: 'a new network namespace has only lo, and it starts down' })
  }
  return steps
}

type HostBody = DistributiveOmit<HostStep, 'section'>

function hostSteps(input: PlanInput, child: readonly ChildStep[], overlapped: boolean): HostStep[] {
  const host: HostStep[] = []
  const at = (section: HostStep['section']) => addTo(host, section)
  prepareSteps(input, at('prepare'))
  cloneStep(input, child, at('clone'))
  handshakeSteps(input, at(overlapped ? 'overlap' : 'handshake'), overlapped ? child.findIndex((s) => s.op === 'sync_wait') : undefined)
  return host
}

type Add = (step: HostBody) => void

/** Why the runtime writes a network mode's /etc files before the clone. */
const ETC_WHY: Partial<Record<NetworkPlan['mode'], string>> = {
  none: '--network none: Docker still gives the container its own /etc/hosts (localhost, --add-host\'s), /etc/resolv.conf (the host\'s resolvers, none reachable) and name, bound over the image\'s',
  host: '--network host: copies of the host\'s /etc/hosts (and --add-host\'s), /etc/resolv.conf and name, bound over the image\'s, as Docker gives them: the container resolves names as the host does',
}

/** What the runtime makes before the clone: -v sources, the writable layer, volumes, the cgroup, the pty socket. */
function prepareSteps(input: PlanInput, prepare: Add): void {
  const { spec } = input
  // first: a container to join that does not run refuses the start before anything is made
  joinHostSteps(input).forEach(prepare)
  for (const path of input.bindSources ?? []) {
    prepare({ kind: 'bind_source', path, why: '-v of a host directory that does not exist: Docker makes it' })
  }
  for (const ns of spec.linux.namespaces) {
    if (ns.path) prepare({ kind: 'namespace_open', path: ns.path, type: ns.type, slot: namespaceSlot(ns.type), why: 'the child joins this namespace instead of making one: an fd of it, opened now' })
  }
  writableLayerSteps(input, prepare)
  for (const [key, content] of Object.entries(input.network?.texts ?? {})) {
    const path = input.network!.files[key as keyof NetworkPlan['files']]
    if (path !== undefined && content !== undefined) prepare({ kind: 'write_file', path, content, why: ETC_WHY[input.network!.mode] ?? '' })
  }
  if (input.volumes?.volumes.length && !input.made) {
    const anonymous = input.volumes.volumes.every((v) => v.anonymous)
    prepare({
      kind: 'volumes', ...input.volumes,
      why: anonymous
        ? 'anonymous volumes for the image\'s VOLUME paths: they outlive the container until rm -v, --rm or volume prune'
        : 'volumes: their data outlives the container; an empty one is first filled from the image, as Docker does',
    })
  }
  spec.mounts.forEach((m, i) => {
    if (!m.uidMappings || !m.source) return
    prepare({
      kind: 'idmapped_mount', source: m.source, uidMap: m.uidMappings, gidMap: m.gidMappings ?? m.uidMappings, slot: mountSlot(i),
      why: 'a volume keeps its files\' ids on disk: an idmapped mount shows them as the same ids inside, whatever range this container has',
    })
  })
  const placed = input.cgroupPath || input.cgroupV1?.length ? placedLimitFiles(spec.linux.resources ?? {}, input.cgroupPath, input.cgroupV1 ?? []) : []
  if (input.cgroupPath) {
    const mount = input.cgroupMount ?? dirname(input.cgroupPath)
    prepare({ kind: 'cgroup_leaf', path: input.cgroupPath, mount, slot: 'cgroup', why: 'a cgroup v2 leaf of its own: limits apply to it and cgroup.kill ends every process in it' })
    // the controllers of the limits written here (not of those a v1 hierarchy takes); the core's cgroup.* files need none
    const inV2 = placed.filter((f) => f.path.startsWith(`${input.cgroupPath}/`) && f.controller !== 'cgroup')
    const controllers = [...new Set(inV2.map((f) => f.controller))]
    if (controllers.length) {
      // after the leaf: its parent (mini-run's) exists only from then on
      for (const dir of delegationChain(mount, input.cgroupPath)) {
        prepare({ kind: 'cgroup_enable', dir, controllers, why: 'a cgroup has a controller only if its parent delegates it: enabled from the root down to the parent, nothing else' })
      }
    }
    const rules = spec.linux.resources?.devices
    if (input.deviceFilter && rules?.length) {
      prepare({
        kind: 'device_filter', slot: 'cgroup', program: deviceFilterProgram(rules), rules: rules.length,
        why: 'the device cgroup: cgroup v2 has no devices file, the kernel runs this program on every open and mknod of a device node in the cgroup',
      })
    }
  }
  for (const leaf of input.cgroupV1 ?? []) {
    prepare({ kind: 'cgroup_v1_leaf', path: leaf.path, controller: leaf.controller, base: leaf.base, why: leaf.controller === 'devices'
        ? 'the device cgroup, in the v1 devices hierarchy (cgroup v2 has no devices controller; a BPF program would stand in)'
        : `the host binds the ${leaf.controller} controller to cgroup v1: its limits go to a leaf there` })
  }
  for (const f of placed) {
    prepare({
      kind: 'cgroup_write', path: f.path, value: f.value, why: LIMIT_WHY[f.file] ?? 'a resource limit',
      // absent when the kernel has no swap accounting
      optional: f.file === 'memory.swap.max' || undefined,
    })
  }
  if (input.startGate) {
    prepare({ kind: 'exec_fifo', path: input.startGate.fifo, slot: 'exec-fifo', why: 'create leaves the process waiting on this FIFO; start opens it and so releases the process' })
  }
  if (spec.process.terminal && input.consoleSocket) {
    prepare({ kind: 'console_socket', path: input.consoleSocket, slot: 'pty-socket', why: '--console-socket: the child sends its pty master to the caller (conmon, containerd-shim) on this socket' })
  } else if (spec.process.terminal) {
    prepare({ kind: 'socketpair', slot: 'pty-socket', peer: 'pty-receiver', why: 'the child opens its pty inside and sends the master back on this socket' })
  }
}

/** An image's writable layer: the container's own directory, overlayfs's dirs, the idmapped layers' mount points. */
function writableLayerSteps(input: PlanInput, prepare: Add): void {
  const w = input.writableLayer
  if (!w || input.rootfs.kind !== 'overlay') return
  const o = input.rootfs
  const own = w.owner ? { owner: w.owner } : {}
  // made before: a start after create, or a restart
  if (input.made) return idmappedLayerSteps(input, o, prepare)
  const mode = w.containersMode ?? 0o711
  prepare({
    kind: 'private_dir', path: dirname(w.containerDir), mode, what: 'containers directory',
    why: mode === 0o700
      ? 'the containers\' writable layers: yours alone, as the whole store is (your containers\' root is you)'
      : 'the containers\' writable layers: searchable, so that a user namespace\'s root can reach its own, and nothing more',
  })
  prepare({ kind: 'mkdir', path: w.containerDir, mode: 0o700, ...own, why: 'the container\'s own directory, private: its writable layer lives here' })
  prepare({ kind: 'mkdir', path: o.workDir, mode: 0o700, ...own, why: 'overlayfs\'s work directory, on the same filesystem as the upper dir' })
  prepare({ kind: 'mkdir', path: input.spec.root.path, mode: 0o700, ...own, why: 'the mount point of the root filesystem' })
  prepare({ kind: 'mkdir', path: o.upperDir, mode: w.upperMode, ...(w.upperOwner ? { owner: w.upperOwner } : {}), why: 'the writable layer; overlayfs shows its mode and owner as "/", so they are the image\'s' })
  if (!o.idmapped) return
  const { mountDir } = o.idmapped
  prepare({ kind: 'mkdir', path: mountDir, mode: 0o700, ...own, why: 'where the child attaches the idmapped layers' })
  o.lowerDirs.forEach((_, i) => {
    prepare({ kind: 'mkdir', path: `${mountDir}/${i}`, mode: 0o700, ...own, why: `the mount point of layer ${i}` })
    prepare(idmappedLayerStep(input, o, i))
  })
}

/** --userns=auto: each start opens the layers again as idmapped mounts (an fd lives as long as one start). */
function idmappedLayerSteps(input: PlanInput, o: Extract<RootfsSource, { kind: 'overlay' }>, prepare: Add): void {
  if (o.idmapped) o.lowerDirs.forEach((_, i) => prepare(idmappedLayerStep(input, o, i)))
}

function idmappedLayerStep(input: PlanInput, o: Extract<RootfsSource, { kind: 'overlay' }>, i: number): HostBody {
  return {
    kind: 'idmapped_mount', source: join(o.layersDir, o.lowerDirs[i]!), uidMap: input.spec.linux.uidMappings ?? [], gidMap: input.spec.linux.gidMappings ?? [], slot: layerSlot(i),
    why: 'the layers on disk belong to host ids: an idmapped mount shows them with the container\'s; made here, in the host\'s user namespace, as the kernel requires',
  }
}

function cloneStep(input: PlanInput, child: readonly ChildStep[], clone: Add): void {
  const { spec } = input
  let flags = 0
  for (const ns of spec.linux.namespaces) if (!ns.path) flags |= NAMESPACE_FLAGS[ns.type]
  clone({
    kind: 'clone', flags, cgroup: input.cgroupPath ? { slot: 'cgroup' } : undefined, keep: childSlots(child).map((slot) => ({ slot })),
    peer: spec.process.terminal && !input.consoleSocket ? { slot: 'pty-receiver' } : undefined, via: input.via ?? { runtime: true },
    why: spec.linux.namespaces.filter((ns) => !ns.path).map((ns) => `${ns.type}: ${NAMESPACE_WHY[ns.type]}`).join('\n') || 'no new namespace',
  })
}

function handshakeSteps(input: PlanInput, handshake: Add, waitAt: number | undefined): void {
  const { spec } = input
  const userns = spec.linux.namespaces.some((ns) => ns.type === 'user')
  for (const leaf of input.cgroupV1 ?? []) {
    handshake({ kind: 'cgroup_attach', path: leaf.path, why: 'cgroup v1 has no CLONE_INTO_CGROUP: the child joins the leaf now, before it runs anything' })
  }
  if (userns && input.idMapHelpers) {
    handshake({ kind: 'id_map_helper', program: input.idMapHelpers.newuidmap, file: 'uid_map', maps: spec.linux.uidMappings ?? [], why: HELPER_WHY.uid_map })
    handshake({ kind: 'id_map_helper', program: input.idMapHelpers.newgidmap, file: 'gid_map', maps: spec.linux.gidMappings ?? [], why: HELPER_WHY.gid_map })
  } else if (userns) {
    if (!input.setgroupsAllowed) {
      handshake({ kind: 'proc_write', file: 'setgroups', content: 'deny', why: 'an unprivileged user may map only its own ids, and only once setgroups(2) is disabled (user_namespaces(7))' })
    }
    handshake({ kind: 'proc_write', file: 'uid_map', content: formatIdMap(spec.linux.uidMappings ?? [], '\n'), why: MAP_WHY })
    handshake({ kind: 'proc_write', file: 'gid_map', content: formatIdMap(spec.linux.gidMappings ?? [], '\n'), why: MAP_WHY })
  }
  if (spec.process.oomScoreAdj !== undefined) {
    handshake({ kind: 'proc_write', file: 'oom_score_adj', content: String(spec.process.oomScoreAdj), why: 'process.oomScoreAdj: how readily the OOM killer picks it; inherited by what it starts' })
  }
  if (input.network?.mode === 'bridge' || input.network?.mode === 'pasta') {
    handshake({ kind: 'network', plan: input.network, why: input.network.explain.map((l) => l.why).join('\n') })
  }
  for (const phase of ['prestart', 'createRuntime'] as const) {
    const hooks = spec.hooks?.[phase]
    if (hooks?.length && input.hookState) {
      handshake({ kind: 'hooks', phase, hooks, state: input.hookState, why: `${phase} hooks: the namespaces exist, nothing runs in them yet (runtime-spec runtime.md)` })
    }
  }
  handshake({
    kind: 'sync',
    why: waitAt !== undefined
      ? `the child waits for it at step ${waitAt + 1}, having run the steps before it meanwhile`
      : userns
        ? 'the child waits for it: an execve before the id maps exist would drop all its capabilities'
        : 'the child waits for it, then execs the sealed stage program, which runs the steps below',
  })
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
