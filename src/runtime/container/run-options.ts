/**
 * What `mini-run run` is given (RunOptions, Docker's flags as data) and
 * what preparing a container makes of it (PreparedContainer): its id and
 * name, its spec, and the whole plan that starts it.
 */
import type { ResourceFlags } from '../cgroup/cgroup-limits.js'
import type { V1Leaf } from '../cgroup/cgroup-v1.js'
import type { StartPlan } from '../plan/steps.js'
import type { ImageRunConfig } from '../spec/container-spec.js'
import type { LogConfig } from '../spec/log-options.js'
import type { Spec } from '../spec/spec.js'
import type { VolumeFlags } from '../spec/volumes.js'
import type { ContainerVolume } from './container-volumes.js'
import type { NetworkFlags, NetworkPlan } from '../../network/plan-network.js'
import type { StartInput } from './start-input.js'
import type { RestartPolicy } from './state.js'
import type { HealthConfig } from '../health/health-config.js'

export interface RunOptions {
  /** An image reference, resolved in the store. */
  image?: string
  /** A root filesystem directory (podman's --rootfs); exclusive with image. */
  rootfs?: string
  command: string[]
  entrypoint?: string
  env?: string[]
  /**
   * Variables for this one start's process, over the spec's (build's
   * RUN --mount=type=secret,env=): planned into the exec step only, never
   * in the spec, the state or the start input, so no file under the state
   * root holds them and inspect does not show them. Foreground only: a
   * later start, planned from the state, would not have them.
   */
  startEnv?: string[]
  /** create: this plan only makes the filesystem, and no start's lookups (--link's) are made for it. */
  createOnly?: boolean
  workdir?: string
  user?: string
  hostname?: string
  /** --domainname: the UTS namespace's NIS domain name. */
  domainname?: string
  /** --sysctl KEY=VALUE, as given (sysctls.ts checks them against the namespaces). */
  sysctls?: string[]
  name?: string
  readOnly?: boolean
  /** --rm: the container goes at its exit, so its first start mounts the writable layer volatile (plan-rootfs.ts). */
  rm?: boolean
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
  /** Docker's --cgroupns: private (the default) or host. */
  cgroupns?: string
  uts?: string
  /** Docker's --group-add: supplementary groups, names from the image's /etc/group. */
  groupAdd?: string[]
  /** Docker's --stop-signal and --stop-timeout (seconds), for `stop`. */
  stopSignal?: string
  stopTimeout?: number
  /** Docker's --ulimit NAME=SOFT[:HARD] flags. */
  ulimits?: string[]
  /** Docker's --log-opt KEY=VALUE flags (json-file: max-size, max-file; spec/log-options.ts). */
  logOpts?: string[]
  /** Docker's default seccomp filter; false: none (--security-opt seccomp=unconfined). */
  seccomp?: boolean
  /** --security-opt seccomp=FILE: a profile in Docker's format instead of the default. */
  seccompProfile?: string
  /** --security-opt no-new-privileges=false turns it off (on by default). */
  noNewPrivileges?: boolean
  /** --security-opt values as given (the fields above are what they mean): inspect's HostConfig.SecurityOpt. */
  securityOpt?: string[]
  /** --privileged (spec/container-spec.ts says what it gives). */
  privileged?: boolean
  /** --device HOST[:CONTAINER][:PERMISSIONS] and --device-cgroup-rule "c 10:229 rwm". */
  devices?: string[]
  deviceCgroupRules?: string[]
  /** "host" (the default as root) or "auto" (a user namespace mapping root to an unprivileged range). */
  userns?: string
  storeRoot?: string
  stateRoot?: string
  /** Relative to the cgroup v2 root; "" disables the cgroup. */
  cgroupParent?: string
  /** Docker's --memory, --memory-swap, --pids-limit, --cpus, --cpu-shares. */
  resources?: ResourceFlags
  /** Docker's -v, --mount and --tmpfs (spec/volumes.ts); volumes live in the store (volume-store.ts). */
  volumes?: VolumeFlags
  consoleSize?: { height: number; width: number }
  /** run -d: a monitor stays the container's parent. */
  detach?: DetachOptions
  /** Resolve an image reference to its config and layer dirs (the image store). */
  resolveImage?: (ref: string, storeRoot: string) => Promise<ResolvedImageLike>
  /** Docker's --label (after the image's labels, which they override). */
  labels?: Record<string, string>
  /** Docker's --annotation: the spec's annotations, metadata for the runtime (mini-run's own acts on none). */
  annotations?: Record<string, string>
  /** Docker's --restart (restart-policy.ts): needs a monitor, so run -d (or create). */
  restart?: RestartPolicy
  /** Docker's --shm-size, in bytes. */
  shmSize?: number
  /** --oom-score-adj: the spec's process.oomScoreAdj, written into /proc/<pid>/oom_score_adj at the start. */
  oomScoreAdj?: number
  /** Docker's --log-driver: json-file (the default) or none (the monitor keeps no log). */
  logDriver?: 'json-file' | 'none'
  /** --health-cmd, --health-interval...: over the image's HEALTHCHECK, field by field; Test ["NONE"]: --no-healthcheck. */
  healthcheck?: Partial<HealthConfig>
  /**
   * The container's health runner, spawned at each start if it has a check,
   * in the foreground as detached: `mini-run internal health ID` (health/).
   */
  healthCommand?: (id: string) => string[]
}

export interface DetachOptions {
  /** -i: stdin is a pipe the monitor holds open (a shell waits instead of reading end of file). */
  interactive?: boolean
  /**
   * A command the monitor execs once the exit file is written: `mini-run
   * internal cleanup ID`, which tears the network down, releases the cgroup
   * and, with autoRemove (--rm), removes the container.
   */
  exitCommand?: (id: string) => string[]
  autoRemove?: boolean
  /** The caller attaches right after the start (`run -it`): the monitor holds the output until it does. */
  waitAttach?: boolean
}

/** What the run path needs from an image. */
export interface ResolvedImageLike {
  name: string
  /** The image id (its config digest). */
  configDigest?: string
  /** The layers' chain ids, bottom first. */
  chainIds?: string[]
  config: { config?: ImageRunConfig & { Labels?: Record<string, string> | null } }
  /** Unpacked layer directories, bottom layer first. */
  layerDirs: string[]
}

export interface PreparedContainer {
  id: string
  name: string
  /** The name was made up (random-name.ts): another is drawn if it is taken. */
  nameGenerated?: boolean
  stateRoot: string
  /** The image store, which holds the writable layer and the volumes. */
  storeRoot: string
  /** The image reference as given, or undefined for --rootfs. */
  image?: string
  chainIds?: string[]
  spec: Spec
  /** How many of the process's first words are its entrypoint (inspect's Config.Entrypoint and Cmd). */
  entrypointLength: number
  /** Every step that starts it, the runtime's and the child's: what --explain prints. */
  plan: StartPlan
  /** What rm and the state need to find again. */
  containerDir?: string
  cgroup?: { path: string; mount: string }
  /** Its leaves in cgroup v1 hierarchies (a hybrid host), for limits v2 cannot set. */
  cgroupV1?: V1Leaf[]
  volumes?: ContainerVolume[]
  /** Docker's Mode of each mount, and --tmpfs (spec/volumes.ts dockerMountRecord): what inspect shows. */
  mountModes?: Record<string, string>
  tmpfs?: Record<string, string>
  /** --userns=auto as root: the slot of ids taken for it (userns-ranges.ts). */
  usernsSlot?: number
  /** --stop-signal or the image's StopSignal (Docker's stop sends it first), and --stop-timeout. */
  stopSignal?: string
  stopTimeout?: number
  /** run -d's log rotation (spec/log-options.ts), defaults filled in. */
  logConfig: LogConfig
  /** --log-driver none: no log is kept. */
  logDriver?: 'none'
  detached: boolean
  /** run -d --rm: its monitor removes it once it exits. */
  autoRemove: boolean
  /** Its network, attached between clone and the sync byte (its host step; src/network/). */
  network?: NetworkPlan
  /** What the caller should tell the user (the library does not print). */
  warnings: string[]
  /** The image's labels, then --label's. */
  labels?: Record<string, string>
  imageId?: string
  restartPolicy?: RestartPolicy
  /** What a later start plans from (start-input.ts): recorded in the state. */
  startInput: StartInput
  /** Its health check (the image's with the run's over it); none when disabled. */
  healthcheck?: HealthConfig
  /** The command of its health runner, recorded in the state for every start. */
  healthRunner?: string[]
}
