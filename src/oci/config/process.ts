/**
 * config.json's `process` (config.md "Process"): also the whole of an
 * `exec --process` file, which is a process object.
 */
import { CAPABILITIES } from '../../runtime/spec/capabilities.js'
import type { SpecCapabilities, SpecProcess } from '../../runtime/spec/spec.js'
import { RLIMIT_NUMBERS } from '../../runtime/spec/ulimits.js'
import { IOPRIO_CLASSES, SCHED_FLAGS, SCHED_POLICIES } from '../../runtime/plan/plan-process.js'
import type { HostSecurity } from './host-security.js'
import {
  absolutePath, ConfigError, integer, object, oneOf, optArray, optBoolean, optInteger, optObject, optString, optStringArray, stringArray, unsupported,
} from './fields.js'

const ID_MAX = 2 ** 32 - 2

export function readProcess(v: unknown, where: string, security: HostSecurity, warnings: string[]): SpecProcess {
  const p = object(v, where)
  const args = stringArray(p.args ?? [], `${where}.args`)
  if (args.length === 0) throw new ConfigError(`${where}.args`, 'names no command to run')
  const env = stringArray(p.env ?? [], `${where}.env`)
  env.forEach((e, i) => {
    if (e.indexOf('=') <= 0) throw new ConfigError(`${where}.env[${i}]`, `${JSON.stringify(e)} is not KEY=VALUE`)
  })
  const consoleSize = optObject(p.consoleSize, `${where}.consoleSize`)
  const process: SpecProcess = {
    terminal: optBoolean(p.terminal, `${where}.terminal`) ?? false,
    ...(consoleSize
      ? { consoleSize: { height: integer(consoleSize.height, `${where}.consoleSize.height`, 0, 0xffff), width: integer(consoleSize.width, `${where}.consoleSize.width`, 0, 0xffff) } }
      : {}),
    user: readUser(p.user, `${where}.user`),
    args,
    env,
    cwd: absolutePath(p.cwd ?? '/', `${where}.cwd`),
    noNewPrivileges: optBoolean(p.noNewPrivileges, `${where}.noNewPrivileges`) ?? false,
  }
  const caps = optObject(p.capabilities, `${where}.capabilities`)
  if (caps) process.capabilities = readCapabilities(caps, `${where}.capabilities`)
  const rlimits = optArray(p.rlimits, `${where}.rlimits`)
  if (rlimits) process.rlimits = readRlimits(rlimits, `${where}.rlimits`)
  const oom = optInteger(p.oomScoreAdj, `${where}.oomScoreAdj`, -1000, 1000)
  if (oom !== undefined) process.oomScoreAdj = oom
  readSecurityLabels(p, where, security, warnings)
  const io = optObject(p.ioPriority, `${where}.ioPriority`)
  if (io) process.ioPriority = { class: oneOf(io.class, `${where}.ioPriority.class`, Object.keys(IOPRIO_CLASSES)), priority: integer(io.priority ?? 0, `${where}.ioPriority.priority`, 0, 7) }
  const sched = optObject(p.scheduler, `${where}.scheduler`)
  if (sched) process.scheduler = readScheduler(sched, `${where}.scheduler`)
  if (p.execCPUAffinity !== undefined && p.execCPUAffinity !== null) unsupported(`${where}.execCPUAffinity`, 'a CPU affinity')
  return process
}

function readScheduler(s: Record<string, unknown>, where: string): NonNullable<SpecProcess['scheduler']> {
  const policy = oneOf(s.policy, `${where}.policy`, Object.keys(SCHED_POLICIES))
  const flags = optStringArray(s.flags, `${where}.flags`) ?? []
  flags.forEach((f, i) => oneOf(f, `${where}.flags[${i}]`, Object.keys(SCHED_FLAGS)))
  const nice = optInteger(s.nice, `${where}.nice`, -20, 19)
  const priority = optInteger(s.priority, `${where}.priority`, 0, 99)
  const times = Object.fromEntries((['runtime', 'deadline', 'period'] as const).flatMap((k) => {
    const v = optInteger(s[k], `${where}.${k}`, 0)
    return v === undefined ? [] : [[k, v]]
  }))
  return { policy, ...(nice !== undefined ? { nice } : {}), ...(priority !== undefined ? { priority } : {}), ...(flags.length ? { flags } : {}), ...times }
}

function readUser(v: unknown, where: string): SpecProcess['user'] {
  const u = object(v ?? {}, where)
  const umask = optInteger(u.umask, `${where}.umask`, 0, 0o777)
  const gids = optArray(u.additionalGids, `${where}.additionalGids`)
  return {
    uid: integer(u.uid ?? 0, `${where}.uid`, 0, ID_MAX),
    gid: integer(u.gid ?? 0, `${where}.gid`, 0, ID_MAX),
    ...(umask !== undefined ? { umask } : {}),
    ...(gids ? { additionalGids: gids.map((g, i) => integer(g, `${where}.additionalGids[${i}]`, 0, ID_MAX)) } : {}),
  }
}

const SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const

function readCapabilities(c: Record<string, unknown>, where: string): SpecCapabilities {
  const caps: SpecCapabilities = {}
  for (const set of SETS) {
    const names = c[set] === undefined || c[set] === null ? undefined : stringArray(c[set], `${where}.${set}`)
    if (!names) continue
    names.forEach((name, i) => {
      if (!(CAPABILITIES as readonly string[]).includes(name)) throw new ConfigError(`${where}.${set}[${i}]`, `unknown capability ${JSON.stringify(name)}`)
    })
    caps[set] = [...new Set(names)]
  }
  return caps
}

function readRlimits(list: unknown[], where: string): NonNullable<SpecProcess['rlimits']> {
  const seen = new Set<string>()
  return list.map((v, i) => {
    const r = object(v, `${where}[${i}]`)
    const type = String(r.type)
    if (RLIMIT_NUMBERS[type] === undefined) throw new ConfigError(`${where}[${i}].type`, `unknown rlimit ${JSON.stringify(r.type)}`)
    if (seen.has(type)) throw new ConfigError(`${where}[${i}].type`, `${type} is given twice`)
    seen.add(type)
    const soft = integer(r.soft, `${where}[${i}].soft`, 0)
    const hard = integer(r.hard, `${where}[${i}].hard`, 0)
    if (soft > hard) throw new ConfigError(`${where}[${i}]`, `${type}: the soft limit ${soft} is above the hard limit ${hard}`)
    return { type, soft, hard }
  })
}

/** AppArmor and SELinux: mini-run applies neither. A host without the LSM makes the field moot (a warning); a host with it, a refusal. */
function readSecurityLabels(p: Record<string, unknown>, where: string, security: HostSecurity, warnings: string[]): void {
  const apparmor = optString(p.apparmorProfile, `${where}.apparmorProfile`)
  if (apparmor) {
    if (security.apparmor) unsupported(`${where}.apparmorProfile`, `an AppArmor profile (${JSON.stringify(apparmor)})`)
    warnings.push(`${where}.apparmorProfile ${JSON.stringify(apparmor)} ignored: this host has no AppArmor`)
  }
  const label = optString(p.selinuxLabel, `${where}.selinuxLabel`)
  if (label) {
    if (security.selinux) unsupported(`${where}.selinuxLabel`, 'an SELinux label')
    warnings.push(`${where}.selinuxLabel ignored: this host has no SELinux`)
  }
}

/** An `exec --process` file: a process object on its own (runc's exec). */
export function readProcessFile(v: unknown, security: HostSecurity, warnings: string[]): SpecProcess {
  return readProcess(v, 'process', security, warnings)
}
