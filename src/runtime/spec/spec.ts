/**
 * The container spec: the subset of the OCI runtime-spec `config.json` that
 * mini-run reads (https://github.com/opencontainers/runtime-spec/blob/main/config.md).
 * Field names and meanings are the spec's, so a config.json written for runc
 * describes the same container here.
 */

import type { SpecResources } from '../cgroup/cgroup-limits.js'

export interface Spec {
  ociVersion: string
  process: SpecProcess
  root: { path: string; readonly?: boolean }
  hostname?: string
  domainname?: string
  mounts: SpecMount[]
  linux: SpecLinux
  annotations?: Record<string, string>
  /** Programs the runtime runs at points of the lifecycle (config.md "POSIX-platform Hooks"). */
  hooks?: SpecHooks
}

export interface SpecHook {
  path: string
  args?: string[]
  env?: string[]
  /** Seconds; the hook is killed past it. */
  timeout?: number
}

export interface SpecHooks {
  prestart?: SpecHook[]
  createRuntime?: SpecHook[]
  createContainer?: SpecHook[]
  startContainer?: SpecHook[]
  poststart?: SpecHook[]
  poststop?: SpecHook[]
}

export interface SpecProcess {
  terminal?: boolean
  consoleSize?: { height: number; width: number }
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[] }
  args: string[]
  env: string[]
  cwd: string
  capabilities?: SpecCapabilities
  noNewPrivileges?: boolean
  rlimits?: { type: string; soft: number; hard: number }[]
  /** /proc/<pid>/oom_score_adj, -1000..1000. */
  oomScoreAdj?: number
  /** ioprio_set(2): IOPRIO_CLASS_RT, _BE or _IDLE, level 0 (highest) to 7. */
  ioPriority?: { class: string; priority: number }
  /** sched_setattr(2) (config.md "Scheduler"). */
  scheduler?: SpecScheduler
}

export interface SpecScheduler {
  policy: string
  nice?: number
  priority?: number
  flags?: string[]
  runtime?: number
  deadline?: number
  period?: number
}

export interface SpecCapabilities {
  bounding?: string[]
  effective?: string[]
  inheritable?: string[]
  permitted?: string[]
  ambient?: string[]
}

export interface SpecMount {
  destination: string
  type?: string
  source?: string
  options?: string[]
  /** OCI 1.1 idmapped mount: the source is shown through these maps (a volume under --userns=auto). */
  uidMappings?: IdMapping[]
  gidMappings?: IdMapping[]
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time'

export interface IdMapping {
  containerID: number
  hostID: number
  size: number
}

export interface SpecLinux {
  namespaces: { type: NamespaceType; path?: string }[]
  uidMappings?: IdMapping[]
  gidMappings?: IdMapping[]
  maskedPaths?: string[]
  readonlyPaths?: string[]
  cgroupsPath?: string
  rootfsPropagation?: string
  devices?: SpecDevice[]
  resources?: SpecResources
  seccomp?: SpecSeccomp
  /** Kernel parameters set in the container's namespaces, "net.ipv4.ip_forward": "1". */
  sysctl?: Record<string, string>
  /** personality(2): LINUX or LINUX32 (uname -m says i686 in a 32-bit userland). */
  personality?: { domain: string }
}

/**
 * linux.seccomp (runtime-spec config-linux.md "Seccomp"), the subset
 * seccomp-bpf.ts compiles: actions ALLOW, ERRNO and KILL_PROCESS, and
 * comparisons of an argument's value (up to 2^32 - 1) with EQ, NE and
 * MASKED_EQ. Rules are tried in order; the first that matches decides.
 */
export interface SpecSeccomp {
  defaultAction: SeccompAction
  defaultErrnoRet?: number
  /** SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64... */
  architectures?: string[]
  syscalls?: SpecSyscallRule[]
}

export type SeccompAction =
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_LOG'

export interface SpecSyscallRule {
  names: string[]
  action: SeccompAction
  errnoRet?: number
  args?: { index: number; value: number; valueTwo?: number; op: SeccompOp }[]
}

export type SeccompOp = 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_GT' | 'SCMP_CMP_GE' | 'SCMP_CMP_MASKED_EQ'

/** A device node made available in the container's /dev. */
export interface SpecDevice {
  path: string
  type: 'c' | 'b' | 'u' | 'p'
  major: number
  minor: number
  fileMode?: number
  uid?: number
  gid?: number
  /** mini-run's, not OCI's: the host node bound there, when its path differs (run --device /dev/fuse:/dev/myfuse). */
  hostPath?: string
}
