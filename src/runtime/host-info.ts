/**
 * `info`: what this host offers containers, read from the kernel's own
 * files (no probe is run): the cgroup hierarchy and its controllers, user
 * namespaces, seccomp, overlayfs; and what mini-run keeps where.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { findCgroup2Mount } from './cgroup/cgroup.js'
import { kernelAtLeast } from './kernel-version.js'
import { listContainers } from './container/containers.js'
import { dockerStatus } from './container/filter-containers.js'

export interface HostInfo {
  Containers: number
  ContainersRunning: number
  ContainersPaused: number
  ContainersStopped: number
  Images: number
  StorageDriver: string
  LoggingDriver: string
  CgroupDriver: string
  /** "2" on a unified host; "1" when only v1 hierarchies exist; "2 (hybrid)" when v2 sits beside v1 controllers. */
  CgroupVersion: string
  CgroupMount: string
  /** Controllers the v2 hierarchy offers (cgroup.controllers). */
  CgroupControllers: string[]
  /** cgroup.freeze (v2 core, Linux 5.2): pause works. */
  Freezer: boolean
  UserNamespaces: boolean
  Seccomp: boolean
  IdmappedMounts: boolean
  KernelVersion: string
  OperatingSystem: string
  OSType: string
  Architecture: string
  NCPU: number
  MemTotal: number
  RootDir: string
  StateDir: string
  SecurityOptions: string[]
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function imageCount(storeRoot: string): number {
  try {
    // refs/ holds one file per name; an image may have several names
    const refs = join(storeRoot, 'refs')
    const ids = new Set<string>()
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name))
        else {
          const r = JSON.parse(read(join(dir, e.name)) ?? '{}') as { configDigest?: string }
          if (r.configDigest) ids.add(r.configDigest)
        }
      }
    }
    walk(refs)
    return ids.size
  } catch {
    return 0
  }
}

export function hostInfo(storeRoot: string, stateRoot: string, arch: string): HostInfo {
  const containers = listContainers(stateRoot)
  const status = containers.map(dockerStatus)
  const mount = findCgroup2Mount()
  const mountinfo = read('/proc/self/mountinfo') ?? ''
  const v1 = / - cgroup /.test(mountinfo)
  const controllers = mount ? (read(join(mount, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean) : []
  const maxUserns = Number(read('/proc/sys/user/max_user_namespaces') ?? '0')
  const seccomp = /^Seccomp:/m.test(read('/proc/self/status') ?? '')
  const osRelease = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(read('/etc/os-release') ?? '')?.[1] ?? 'Linux'
  const security = [seccomp ? 'name=seccomp,profile=builtin' : undefined, maxUserns > 0 ? 'name=userns' : undefined, 'name=no-new-privileges'].filter((s): s is string => s !== undefined)
  return {
    Containers: containers.length,
    ContainersRunning: status.filter((s) => s === 'running' || s === 'restarting').length,
    ContainersPaused: status.filter((s) => s === 'paused').length,
    ContainersStopped: status.filter((s) => s === 'exited' || s === 'created').length,
    Images: imageCount(storeRoot),
    StorageDriver: 'overlay',
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: mount ? (v1 ? '2 (hybrid: v1 controllers beside the v2 tree)' : '2') : v1 ? '1' : 'none',
    CgroupMount: mount ?? '',
    CgroupControllers: controllers,
    Freezer: mount !== undefined && kernelAtLeast('5.2'),
    UserNamespaces: maxUserns > 0,
    Seccomp: seccomp,
    IdmappedMounts: kernelAtLeast('5.12'),
    KernelVersion: release(),
    OperatingSystem: osRelease,
    OSType: 'linux',
    Architecture: arch,
    NCPU: cpus().length,
    MemTotal: totalmem(),
    RootDir: storeRoot,
    StateDir: stateRoot,
    SecurityOptions: security,
  }
}

/** Whether overlayfs is known to the kernel (/proc/filesystems). */
export function hasOverlay(): boolean {
  return /\toverlay$/m.test(read('/proc/filesystems') ?? '') || existsSync('/sys/module/overlay')
}
