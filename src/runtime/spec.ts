/**
 * The container spec: the subset of the OCI runtime-spec `config.json` that
 * mini-run reads (https://github.com/opencontainers/runtime-spec/blob/main/config.md).
 * Field names and meanings are the spec's, so a config.json written for runc
 * describes the same container here.
 */

import type { SpecResources } from './cgroup-limits.js'

export interface Spec {
  ociVersion: string
  process: SpecProcess
  root: { path: string; readonly?: boolean }
  hostname?: string
  domainname?: string
  mounts: SpecMount[]
  linux: SpecLinux
  annotations?: Record<string, string>
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
}

/** A device node made available in the container's /dev. */
export interface SpecDevice {
  path: string
  type: 'c' | 'b' | 'u' | 'p'
  major: number
  minor: number
  fileMode?: number
  uid?: number
  gid?: number
}
