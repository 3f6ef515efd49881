/**
 * config.json's `linux` (config-linux.md): namespaces, id maps, devices,
 * cgroup, sysctl, paths to hide, seccomp.
 */
import { sysctlNamespace } from '../../runtime/spec/sysctls.js'
import { compileSeccomp } from '../../runtime/spec/seccomp-bpf.js'
import type { NamespaceType, SpecDevice, SpecLinux, SpecSeccomp, SpecSyscallRule } from '../../runtime/spec/spec.js'
import type { HostSecurity } from './host-security.js'
import { readIdMappings } from './mounts.js'
import { readResources } from './resources.js'
import {
  absolutePath, ConfigError, integer, object, oneOf, optArray, optInteger, optObject, optString, optStringArray, stringArray, stringMap, unsupported,
} from './fields.js'

const NAMESPACES: readonly NamespaceType[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']
const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'] as const

export interface OciLinux {
  linux: SpecLinux
  /** linux.cgroupsPath as given ("" when absent). */
  cgroupsPath: string
}

export function readLinux(v: unknown, security: HostSecurity, warnings: string[]): OciLinux {
  const l = optObject(v, 'linux') ?? {}
  const linux: SpecLinux = { namespaces: readNamespaces(l.namespaces) }
  const userns = linux.namespaces.some((ns) => ns.type === 'user' && !ns.path)
  if (l.uidMappings !== undefined && l.uidMappings !== null) linux.uidMappings = readIdMappings(l.uidMappings, 'linux.uidMappings')
  if (l.gidMappings !== undefined && l.gidMappings !== null) linux.gidMappings = readIdMappings(l.gidMappings, 'linux.gidMappings')
  if (userns && !(linux.uidMappings?.length && linux.gidMappings?.length)) {
    throw new ConfigError('linux.uidMappings', 'a new user namespace needs uidMappings and gidMappings')
  }
  if (!userns && (linux.uidMappings?.length || linux.gidMappings?.length)) {
    throw new ConfigError('linux.uidMappings', 'id mappings need a new user namespace (linux.namespaces has none)')
  }
  const devices = optArray(l.devices, 'linux.devices')
  if (devices?.length) linux.devices = devices.map((d, i) => readDevice(d, `linux.devices[${i}]`))
  const resources = readResources(l.resources, 'linux.resources', warnings)
  if (resources) linux.resources = resources
  const masked = optStringArray(l.maskedPaths, 'linux.maskedPaths')
  if (masked) linux.maskedPaths = masked.map((p, i) => absolutePath(p, `linux.maskedPaths[${i}]`))
  const readonly = optStringArray(l.readonlyPaths, 'linux.readonlyPaths')
  if (readonly) linux.readonlyPaths = readonly.map((p, i) => absolutePath(p, `linux.readonlyPaths[${i}]`))
  const propagation = l.rootfsPropagation === undefined || l.rootfsPropagation === null || l.rootfsPropagation === ''
    ? undefined
    : oneOf(l.rootfsPropagation, 'linux.rootfsPropagation', PROPAGATIONS)
  if (propagation) linux.rootfsPropagation = propagation
  if (l.sysctl !== undefined && l.sysctl !== null) {
    const sysctl = stringMap(l.sysctl, 'linux.sysctl')
    for (const key of Object.keys(sysctl)) checkSysctl(key, linux.namespaces)
    if (Object.keys(sysctl).length) linux.sysctl = sysctl
  }
  const seccomp = optObject(l.seccomp, 'linux.seccomp')
  if (seccomp) linux.seccomp = readSeccomp(seccomp)
  const mountLabel = optString(l.mountLabel, 'linux.mountLabel')
  if (mountLabel) {
    if (security.selinux) unsupported('linux.mountLabel', 'an SELinux mount label')
    warnings.push('linux.mountLabel ignored: this host has no SELinux')
  }
  const persona = optObject(l.personality, 'linux.personality')
  if (persona) {
    linux.personality = { domain: oneOf(persona.domain, 'linux.personality.domain', ['LINUX', 'LINUX32'] as const) }
    if (optStringArray(persona.flags, 'linux.personality.flags')?.length) unsupported('linux.personality.flags', 'a personality flag')
  }
  for (const key of ['intelRdt', 'timeOffsets', 'memoryPolicy', 'netDevices'] as const) {
    const value = l[key]
    if (value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0)) unsupported(`linux.${key}`, `linux.${key}`)
  }
  return { linux, cgroupsPath: optString(l.cgroupsPath, 'linux.cgroupsPath') ?? '' }
}

function readNamespaces(v: unknown): SpecLinux['namespaces'] {
  const seen = new Set<string>()
  return (optArray(v, 'linux.namespaces') ?? []).map((n, i) => {
    const where = `linux.namespaces[${i}]`
    const o = object(n, where)
    const type = oneOf(o.type, `${where}.type`, NAMESPACES)
    if (seen.has(type)) throw new ConfigError(`${where}.type`, `the ${type} namespace is given twice`)
    seen.add(type)
    const path = optString(o.path, `${where}.path`)
    if (path) {
      absolutePath(path, `${where}.path`)
      // joining these would need the join before the clone (user) or
      // leave the runtime's own mounts out of reach (mount)
      if (type === 'user' || type === 'mount' || type === 'time') unsupported(`${where}.path`, `joining an existing ${type} namespace`)
    }
    return path ? { type, path } : { type }
  })
}

function readDevice(v: unknown, where: string): SpecDevice {
  const d = object(v, where)
  const type = oneOf(d.type, `${where}.type`, ['c', 'b', 'u', 'p'] as const)
  const fileMode = optInteger(d.fileMode, `${where}.fileMode`, 0, 0o7777)
  const uid = optInteger(d.uid, `${where}.uid`, 0, 2 ** 32 - 2)
  const gid = optInteger(d.gid, `${where}.gid`, 0, 2 ** 32 - 2)
  return {
    path: absolutePath(d.path, `${where}.path`),
    type,
    major: type === 'p' ? 0 : integer(d.major, `${where}.major`, 0),
    minor: type === 'p' ? 0 : integer(d.minor, `${where}.minor`, 0),
    ...(fileMode !== undefined ? { fileMode } : {}),
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
  }
}

/**
 * A sysctl is set in the container's namespaces, so it must belong to one
 * it has of its own (runc's validator): IPC ones to a new IPC namespace,
 * net.* to a new network namespace. Any other would change the host.
 */
function checkSysctl(key: string, namespaces: SpecLinux['namespaces']): void {
  const own = (type: NamespaceType) => namespaces.some((ns) => ns.type === type && !ns.path)
  const joined = (type: NamespaceType) => namespaces.some((ns) => ns.type === type && ns.path)
  const ns = sysctlNamespace(key)
  if (ns === 'ipc') {
    if (own('ipc') || joined('ipc')) return
    throw new ConfigError(`linux.sysctl.${key}`, 'needs an IPC namespace of the container\'s own')
  }
  if (ns === 'network') {
    if (own('network') || joined('network')) return
    throw new ConfigError(`linux.sysctl.${key}`, 'needs a network namespace of the container\'s own')
  }
  if (ns === 'uts') {
    throw new ConfigError(`linux.sysctl.${key}`, 'set it with the hostname or domainname field')
  }
  throw new ConfigError(`linux.sysctl.${key}`, 'is not in a namespace the container has: it would change the host')
}

const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'] as const
const OPS = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'] as const

/** linux.seccomp, checked by compiling it: a profile that would not load fails the create now. */
function readSeccomp(s: Record<string, unknown>): SpecSeccomp {
  const where = 'linux.seccomp'
  const action = (v: unknown, w: string) => {
    const a = oneOf(v, w, ACTIONS)
    if (a === 'SCMP_ACT_NOTIFY') unsupported(w, 'SCMP_ACT_NOTIFY (a seccomp user-space listener)')
    return a as SpecSeccomp['defaultAction']
  }
  if (optString(s.listenerPath, `${where}.listenerPath`)) unsupported(`${where}.listenerPath`, 'a seccomp listener')
  const flags = optStringArray(s.flags, `${where}.flags`) ?? []
  flags.forEach((f, i) => {
    // one thread: TSYNC has nothing to synchronise
    if (f !== 'SECCOMP_FILTER_FLAG_TSYNC') unsupported(`${where}.flags[${i}]`, `the seccomp flag ${f}`)
  })
  const defaultErrnoRet = optInteger(s.defaultErrnoRet, `${where}.defaultErrnoRet`, 0, 4095)
  const profile: SpecSeccomp = {
    defaultAction: action(s.defaultAction, `${where}.defaultAction`),
    ...(defaultErrnoRet !== undefined ? { defaultErrnoRet } : {}),
    architectures: optStringArray(s.architectures, `${where}.architectures`) ?? nativeArchitecture(),
    syscalls: (optArray(s.syscalls, `${where}.syscalls`) ?? []).map((r, i) => readRule(r, `${where}.syscalls[${i}]`, action)),
  }
  try {
    compileSeccomp(profile)
  } catch (err) {
    throw new ConfigError(where, (err as Error).message.replace(/^seccomp: /, ''))
  }
  return profile
}

function readRule(v: unknown, where: string, action: (v: unknown, w: string) => SpecSeccomp['defaultAction']): SpecSyscallRule {
  const r = object(v, where)
  const errnoRet = optInteger(r.errnoRet, `${where}.errnoRet`, 0, 65535)
  const args = optArray(r.args, `${where}.args`) ?? []
  return {
    names: stringArray(r.names, `${where}.names`),
    action: action(r.action, `${where}.action`),
    ...(errnoRet !== undefined ? { errnoRet } : {}),
    ...(args.length
      ? {
          args: args.map((a, j) => {
            const o = object(a, `${where}.args[${j}]`)
            const valueTwo = optInteger(o.valueTwo, `${where}.args[${j}].valueTwo`, 0)
            return {
              index: integer(o.index, `${where}.args[${j}].index`, 0, 5),
              value: integer(o.value, `${where}.args[${j}].value`, 0),
              ...(valueTwo !== undefined ? { valueTwo } : {}),
              op: oneOf(o.op, `${where}.args[${j}].op`, OPS) as NonNullable<SpecSyscallRule['args']>[number]['op'],
            }
          }),
        }
      : {}),
  }
}

function nativeArchitecture(): string[] {
  return process.arch === 'arm64' ? ['SCMP_ARCH_AARCH64'] : ['SCMP_ARCH_X86_64']
}
