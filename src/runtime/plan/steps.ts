/**
 * A container start as data: the whole of it, the runtime's side and the
 * container process's side, in the order it happens.
 *
 * `HostStep`s are what the runtime (the parent) does: make the writable
 * layer, the cgroup leaf and its limits, the idmapped layers, the clone,
 * the id maps, the sync byte. A small interpreter carries them out
 * (process/run-host-steps.ts) through a `Host` (process/host.ts).
 * `ChildStep`s run in the cloned child, in order, by native/stage.c.
 *
 * Some steps make a resource that later steps use: a file descriptor the
 * child inherits (an idmapped layer, the pty socket, the container's pidfd
 * for exec). Such a resource has a name, its slot ("layer-0", "pty-socket");
 * a step that needs it says { slot: "layer-0" }, and the slot's number is
 * filled in only when the program is encoded. So a plan is never patched
 * after it is made, and what --explain prints is what runs.
 *
 * Every step carries `why`, the one line --explain prints for it, and the
 * section of the explanation it belongs to (sections.ts).
 */
import type { IdMapping, SpecHook } from '../spec/spec.js'
import type { NetworkPlan } from '../../network/plan-network.js'
import type { SectionName } from './sections.js'

/** The runtime-spec state a hook reads on stdin, but for the pid, known at the clone. */
export interface HookState {
  ociVersion: string
  id: string
  bundle: string
  annotations?: Record<string, string>
}

/** A resource made by a host step, named before it exists. */
export interface SlotRef {
  slot: string
}

interface Explained {
  why: string
  section: SectionName
}

export type ChildStep = Explained &
  (
    | { op: 'mount'; source?: string; root?: string; target: string; fstype?: string; flags: number; data?: string; optional?: boolean; keepLocked?: boolean; volume?: string }
    /** A volume's --mount volume-subpath: subpath resolved beneath base, never out of it (native/stage-fs.c). */
    | { op: 'bind_beneath'; base: string; subpath: string; root?: string; target: string; flags: number; volume: string }
    | { op: 'mkdir'; root?: string; path: string; mode: number }
    | { op: 'mkfile'; root?: string; path: string; mode: number }
    | { op: 'symlink'; root?: string; path: string; target: string }
    | { op: 'chdir'; path: string }
    | { op: 'pivot_root'; newRoot: string; putOld: string }
    | { op: 'umount'; path: string; flags: number }
    | { op: 'sethostname'; name: string }
    | { op: 'setdomainname'; name: string }
    | { op: 'link_up'; ifname: string }
    | { op: 'setgroups'; gids: number[] }
    | { op: 'setresgid'; gid: number }
    | { op: 'setresuid'; uid: number }
    | { op: 'keepcaps'; value: number }
    | { op: 'cap_bounding'; caps: string[] }
    | { op: 'capset'; effective: string[]; permitted: string[]; inheritable: string[] }
    | { op: 'cap_ambient'; caps: string[] }
    | { op: 'no_new_privs' }
    | { op: 'seccomp'; filter: Buffer; denied: string[] }
    | { op: 'setsid' }
    | { op: 'open_pty'; socket: SlotRef; rows: number; cols: number }
    | { op: 'close_fds'; from: number }
    | { op: 'fork_init' }
    /** After a setns into a PID namespace: the child goes on in it, the parent relays signals (native/stage-init.c). */
    | { op: 'fork_relay' }
    | { op: 'exec'; path: string; args: string[]; env: string[] }
    | { op: 'setrlimit'; resource: number; name: string; soft: bigint; hard: bigint }
    | { op: 'write_file'; root?: string; path: string; content: string }
    | { op: 'unshare'; flags: number }
    | { op: 'move_mount'; fd: SlotRef; root?: string; target: string }
    /** A mount of another container's mount namespace (through a pidfd of its process), cloned and attached here (native/stage-ns.c). */
    | { op: 'bind_from'; pidfd: SlotRef; container: string; source: string; fstype?: 'tmpfs'; root?: string; target: string }
    | { op: 'pdeathsig'; signal: number }
    | { op: 'setns'; pidfd: SlotRef; nstype: number }
    | { op: 'find_exec'; path: string; file: string }
    | { op: 'wait_start'; fifo: SlotRef }
    | { op: 'sync_wait'; pipe: SlotRef }
    | { op: 'umask'; mask: number }
    | { op: 'personality'; persona: number; name: string }
    | { op: 'ioprio'; value: number; name: string }
    | { op: 'sched'; policy: number; flags: number; nice: number; priority: number; runtime: bigint; deadline: bigint; period: bigint; name: string }
  )

export type ChildOp = ChildStep['op']

/** Owner of a directory the runtime makes, as the host sees it. */
export interface Owner {
  uid: number
  gid: number
}

/** A volume a container mounts (container/container-volumes.ts). */
export interface VolumeUse {
  name: string
  destination: string
  anonymous: boolean
  /** Do not copy the image's content into it (volume-nocopy). */
  nocopy: boolean
  /**
   * The local driver's options it is mounted with (spec/local-volume.ts):
   * the volume's own, or for one this container makes, --mount's volume-opt.
   */
  options?: Record<string, string>
  /** --mount volume-label: its labels, if this container makes it. */
  labels?: Record<string, string>
  /** --mount volume-subpath: only this path of it is mounted (plan-rootfs.ts, a bind_beneath step). */
  subpath?: string
}

/** The volumes a container claims before its clone (container/container-volumes.ts). */
export interface VolumeClaims {
  storeRoot: string
  stateRoot: string
  container: string
  volumes: VolumeUse[]
  /** The image's layers, top first: an empty volume is filled from them. */
  layers?: string[]
}

/** How the container's process is cloned: by this process, or by a monitor that stays its parent (run -d). */
export type CloneVia =
  | { runtime: true }
  | {
      monitor: {
        log: string
        exitFile: string
        /** Rotate before this many bytes; 0: never (--log-driver none, whose log is /dev/null). */
        logMaxSize: number
        logMaxFile: number
        /** argv the monitor execs once the exit file is written (run -d --rm's rm). */
        exitCommand?: string[]
        /** -i: stdin is a pipe the monitor holds open. */
        interactive: boolean
        /** Where the monitor listens for `attach` (native/monitor-attach.h). */
        attachSocket?: string
        /** Hold the output until the first client attaches (`start -a`, `run -it`). */
        waitAttach?: boolean
      }
    }

/** The namespaces a container can share with another (--network, --pid, --ipc container:X). */
export type JoinableNamespace = 'network' | 'pid' | 'ipc'

/** --pid/--ipc container:X: X as recorded when the joiner was made (by id: a rename changes nothing). */
export interface JoinedContainerRef {
  id: string
  /** As the user named it: Docker's errors repeat it. */
  ref: string
  stateRoot: string
}

export type HostStep = Explained &
  (
    /** A directory shared by containers (the store's containers/): made if missing, checked to be private; never removed. */
    | { kind: 'private_dir'; path: string; mode: number; what: string }
    /** mkdir, then chmod (no umask) and chown; removed with the container. */
    | { kind: 'mkdir'; path: string; mode: number; owner?: Owner }
    /** A missing -v source: mkdir -p; it stays, but for a start that fails. */
    | { kind: 'bind_source'; path: string }
    /** A cgroup v2 leaf under the hierarchy at `mount`: mkdir, then an O_DIRECTORY fd of it into the slot (CLONE_INTO_CGROUP). */
    | { kind: 'cgroup_leaf'; path: string; mount: string; slot: string }
    /** An existing cgroup (exec joins the container's). */
    | { kind: 'cgroup_open'; path: string; slot: string }
    /** Let the cgroups below dir use these controllers (cgroup.subtree_control); those enabled already stay. */
    | { kind: 'cgroup_enable'; dir: string; controllers: string[] }
    /** A limit: one value written to one cgroup interface file (skipped if optional and the file does not exist). */
    | { kind: 'cgroup_write'; path: string; value: string; optional?: boolean }
    /** The v2 device cgroup: an eBPF program (cgroup/device-bpf.ts) attached to the leaf in the slot. */
    | { kind: 'device_filter'; slot: string; program: Buffer; rules: number }
    /** A detached idmapped clone of a directory (open_tree + mount_setattr), its fd into the slot. */
    | { kind: 'idmapped_mount'; source: string; uidMap: IdMapping[]; gidMap: IdMapping[]; slot: string }
    /** Named and anonymous volumes: created if missing, filled from the image if empty, the container recorded as their user. */
    | ({ kind: 'volumes' } & VolumeClaims)
    /** A pidfd of the container's process, checked to be that process (exec). */
    | { kind: 'pidfd'; pid: number; startTime: string; container: string; slot: string }
    /**
     * --network/--pid/--ipc container:X: X's process, found by X's id in
     * its state when the step runs (each start: X may have restarted),
     * refused unless X runs; a pidfd of it in the slot, checked to be that
     * process. namespace: whose join it is, for the refusal's words
     * (absent: network, as plans recorded before --pid container: say).
     */
    | { kind: 'container_process'; stateRoot: string; container: string; ref: string; slot: string; namespace?: JoinableNamespace }
    /** A socket pair: the child's end in `slot`, the runtime's (or monitor's) end in `peer`. */
    | { kind: 'socketpair'; slot: string; peer: string }
    /** clone3 into new namespaces (and the cgroup); the child keeps the slots' fds. */
    | { kind: 'clone'; flags: number; cgroup?: SlotRef; keep: SlotRef[]; peer?: SlotRef; via: CloneVia }
    /** OCI create: a FIFO (mode 0622, runc's exec.fifo) and an O_PATH fd of it in the slot; the child waits on it until `start`. */
    | { kind: 'exec_fifo'; path: string; slot: string }
    /** OCI --console-socket: a unix socket connected to the caller's path, in the slot; the child sends its pty master on it. */
    | { kind: 'console_socket'; path: string; slot: string }
    /** A cgroup v1 leaf of one controller's hierarchy (a hybrid host): mkdir -p; removed with the container. */
    | { kind: 'cgroup_v1_leaf'; path: string; controller: string; base?: string }
    /** After the clone: write the child's pid to the leaf's cgroup.procs (v1 has no CLONE_INTO_CGROUP). */
    | { kind: 'cgroup_attach'; path: string }
    /** An existing namespace to join (config.json's namespaces[].path): an fd of it in the slot, for the child's setns. */
    | { kind: 'namespace_open'; path: string; type: string; slot: string }
    /** OCI hooks run by the runtime while the child waits (prestart, createRuntime): the state on stdin, pid filled in. */
    | { kind: 'hooks'; phase: 'prestart' | 'createRuntime'; hooks: SpecHook[]; state: HookState }
    /** Write /proc/<pid>/setgroups, uid_map, gid_map or oom_score_adj of the child. */
    | { kind: 'proc_write'; file: 'setgroups' | 'uid_map' | 'gid_map' | 'oom_score_adj'; content: string }
    /** Attach the child's network namespace to its networks (src/network/attach.ts); undone by detaching. */
    | { kind: 'network'; plan: NetworkPlan }
    /** Rootless with subordinate ids: newuidmap or newgidmap (setuid root, at `program`) writes the child's map. */
    | { kind: 'id_map_helper'; program: string; file: 'uid_map' | 'gid_map'; maps: IdMapping[] }
    /** A small file of the container's own, written whole (--network none's /etc/hosts); it goes with the container's directory. */
    | { kind: 'write_file'; path: string; content: string }
    /** The byte the child waits for: from here on it runs its steps. */
    | { kind: 'sync' }
  )

export type HostKind = HostStep['kind']

export interface StartPlan {
  /** The runtime's steps, in order; the clone is one of them. */
  host: HostStep[]
  /** The child's steps, in order. */
  child: ChildStep[]
  /** Short names for long paths, for people reading the plan: { C: '/var/lib/mini-run/containers/<id>' }. */
  legend?: Record<string, string>
}
