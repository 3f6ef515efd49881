/**
 * `run --security-opt seccomp=FILE`: a seccomp profile in Docker's format
 * (moby's profiles/seccomp/default.json: an OCI linux.seccomp with an
 * archMap, and rules kept or dropped by the container's capabilities, the
 * architecture and the kernel's version), made the OCI profile this
 * container gets, as moby's setupSeccomp does, and checked by compiling it.
 */
import { UsageError } from '../../errors.js'
import { kernelAtLeast, kernelRelease } from '../kernel-version.js'
import { compileSeccomp } from './seccomp-bpf.js'
import type { SpecSeccomp, SpecSyscallRule } from './spec.js'

interface Filter {
  caps?: string[]
  arches?: string[]
  minKernel?: string
}

interface DockerRule extends Partial<SpecSyscallRule> {
  name?: string
  includes?: Filter
  excludes?: Filter
}

interface DockerProfile {
  defaultAction?: SpecSeccomp['defaultAction']
  defaultErrnoRet?: number
  architectures?: string[]
  archMap?: { architecture: string; subArchitectures?: string[] }[]
  syscalls?: DockerRule[]
}

/** Go's GOARCH for Node's process.arch, as Docker's rules name architectures. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' }
const NATIVE: Record<string, string> = { x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' }

export function dockerSeccompProfile(json: unknown, file: string, caps: readonly string[], arch: string = process.arch, kernel = kernelRelease()): SpecSeccomp {
  if (typeof json !== 'object' || json === null) throw new UsageError(`--security-opt seccomp=${file}: not a JSON object`)
  const p = json as DockerProfile
  if (!p.defaultAction) throw new UsageError(`--security-opt seccomp=${file}: no defaultAction`)
  const goarch = GOARCH[arch] ?? arch
  const native = NATIVE[arch]
  const mapped = p.archMap?.find((m) => m.architecture === native)
  const architectures = p.architectures?.length ? p.architectures : mapped ? [mapped.architecture, ...(mapped.subArchitectures ?? [])] : native ? [native] : []
  const has = (c: string) => caps.includes(c)
  const syscalls: SpecSyscallRule[] = []
  for (const r of p.syscalls ?? []) {
    const ex = r.excludes ?? {}
    const inc = r.includes ?? {}
    if (ex.arches?.includes(goarch) || ex.caps?.some(has) || (ex.minKernel && kernelAtLeast(ex.minKernel, kernel))) continue
    if ((inc.arches?.length && !inc.arches.includes(goarch)) || (inc.caps?.length && !inc.caps.every(has)) || (inc.minKernel && !kernelAtLeast(inc.minKernel, kernel))) continue
    const names = r.names ?? (r.name ? [r.name] : [])
    if (!r.action || names.length === 0) throw new UsageError(`--security-opt seccomp=${file}: a rule without names or action`)
    syscalls.push({ names, action: r.action, ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}), ...(r.args?.length ? { args: r.args } : {}) })
  }
  const profile: SpecSeccomp = {
    defaultAction: p.defaultAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    architectures,
    syscalls,
  }
  try {
    compileSeccomp(profile)
  } catch (err) {
    throw new UsageError(`--security-opt seccomp=${file}: ${(err as Error).message.replace(/^seccomp: /, '')}`, { cause: err })
  }
  return profile
}
