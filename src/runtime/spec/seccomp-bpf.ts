/**
 * linux.seccomp (spec.ts SpecSeccomp) compiled to a classic BPF program
 * for seccomp(2), the job libseccomp does for runc and crun. Pure: the
 * stage only hands the bytes to prctl(PR_SET_SECCOMP).
 *
 * The program, seccomp_data being { nr: u32, arch: u32, ip: u64, args: u64[6] }:
 *
 *   load arch
 *   for each architecture of the profile:
 *     if arch != it: jump over its block
 *     load nr
 *     nr == -1 -> allow: a tracer skipping a syscall sets it, and the
 *       kernel answers ENOSYS itself (libseccomp does the same)
 *     (x86-64: nr with the x32 bit set -> kill: another ABI's numbers)
 *     nr above every syscall the headers knew -> ENOSYS: the profile cannot
 *       judge a newer kernel's syscalls, and libc falls back on ENOSYS
 *       (runc stubs unknown syscalls the same way)
 *     for each rule, for each of its syscalls this architecture has:
 *       if nr == it [and each argument comparison holds]: return the action
 *     return the default action
 *   kill the process (an architecture the profile does not know)
 *
 * Argument comparisons look at the low 32 bits, which is all clone(2)
 * reads of its flags (lower_32_bits in kernel/fork.c); values above
 * 2^32 - 1 are refused. Little-endian machines only (the low word comes
 * first): x86-64 and arm64.
 */
import { MiniRunError } from '../../errors.js'
import { SYSCALL_MAX, SYSCALL_NUMBERS } from './seccomp-syscalls.js'
import type { SeccompAction, SpecSeccomp, SpecSyscallRule } from './spec.js'

// linux/filter.h, linux/bpf_common.h
const LD_W_ABS = 0x20
const JEQ_K = 0x15
const JGE_K = 0x35
const JA = 0x05
const AND_K = 0x54
const RET_K = 0x06

// linux/seccomp.h
const RET_KILL_PROCESS = 0x80000000
const RET_ERRNO = 0x00050000
const RET_ALLOW = 0x7fff0000

const OFFSET_NR = 0
const OFFSET_ARCH = 4
const argLow = (index: number) => 16 + 8 * index

const X32_SYSCALL_BIT = 0x40000000
const ENOSYS = 38

/** SCMP_ARCH_* -> the kernel's AUDIT_ARCH_* (linux/audit.h) and the syscall table. */
const ARCHES: Record<string, { audit: number; table: string }> = {
  SCMP_ARCH_X86_64: { audit: 0xc000003e, table: 'x86_64' },
  SCMP_ARCH_X86: { audit: 0x40000003, table: 'i386' },
  SCMP_ARCH_AARCH64: { audit: 0xc00000b7, table: 'aarch64' },
}

interface Insn {
  code: number
  jt: number
  jf: number
  k: number
}

const stmt = (code: number, k: number): Insn => ({ code, jt: 0, jf: 0, k })
const jump = (code: number, k: number, jt: number, jf: number): Insn => ({ code, jt, jf, k })

function actionValue(action: SeccompAction, errno: number | undefined, what: string): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return RET_ALLOW
    case 'SCMP_ACT_KILL_PROCESS':
      return RET_KILL_PROCESS
    case 'SCMP_ACT_ERRNO': {
      const e = errno ?? 1 // EPERM, runc's default
      if (!Number.isInteger(e) || e < 0 || e > 0xfff) throw new MiniRunError(`seccomp: ${what}: errnoRet ${e} out of range`)
      return RET_ERRNO | e
    }
    default:
      throw new MiniRunError(`seccomp: ${what}: unsupported action ${String(action)}`)
  }
}

/** The checks of a rule's arguments; each failed check jumps past the return to `fail` (0 = the next instruction). */
function argumentChecks(rule: SpecSyscallRule, ret: number, name: string): Insn[] {
  const body: Insn[] = []
  const checks = rule.args ?? []
  for (const c of checks) {
    if (!Number.isInteger(c.index) || c.index < 0 || c.index > 5) throw new MiniRunError(`seccomp: ${name}: argument index ${c.index}`)
    for (const v of [c.value, c.valueTwo ?? 0]) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new MiniRunError(`seccomp: ${name}: value ${v} is not a 32-bit value`)
    }
  }
  const lengths = checks.map((c) => (c.op === 'SCMP_CMP_MASKED_EQ' ? 3 : 2))
  let left = lengths.reduce((a, b) => a + b, 0) + 1 // the checks, then the return
  for (const [i, c] of checks.entries()) {
    body.push(stmt(LD_W_ABS, argLow(c.index)))
    left -= 1
    if (c.op === 'SCMP_CMP_MASKED_EQ') {
      body.push(stmt(AND_K, c.value))
      left -= 1
    }
    left -= 1
    // to the instruction after the return: `left` more instructions of this rule
    const fail = left
    if (c.op === 'SCMP_CMP_EQ') body.push(jump(JEQ_K, c.value, 0, fail))
    else if (c.op === 'SCMP_CMP_NE') body.push(jump(JEQ_K, c.value, fail, 0))
    else if (c.op === 'SCMP_CMP_MASKED_EQ') body.push(jump(JEQ_K, c.valueTwo ?? 0, 0, fail))
    else throw new MiniRunError(`seccomp: ${name}: unsupported comparison ${String(c.op)} (argument ${i})`)
  }
  body.push(stmt(RET_K, ret))
  return body
}

function archBlock(profile: SpecSeccomp, archName: string): Insn[] {
  const arch = ARCHES[archName]!
  const table = SYSCALL_NUMBERS[arch.table] ?? {}
  const block: Insn[] = [stmt(LD_W_ABS, OFFSET_NR), jump(JEQ_K, 0xffffffff, 0, 1), stmt(RET_K, RET_ALLOW)]
  if (arch.table === 'x86_64') {
    block.push(jump(JGE_K, X32_SYSCALL_BIT, 0, 1), stmt(RET_K, RET_KILL_PROCESS))
  }
  const max = SYSCALL_MAX[arch.table]
  if (max !== undefined) block.push(jump(JGE_K, max + 1, 0, 1), stmt(RET_K, RET_ERRNO | ENOSYS))
  for (const rule of profile.syscalls ?? []) {
    for (const name of rule.names) {
      const nr = table[name]
      if (nr === undefined) continue // not a syscall of this architecture
      const ret = actionValue(rule.action, rule.errnoRet, name)
      if (!rule.args?.length) {
        block.push(jump(JEQ_K, nr, 0, 1), stmt(RET_K, ret))
        continue
      }
      // the checks load arguments into A: reload nr after them
      const checks = argumentChecks(rule, ret, name)
      block.push(jump(JEQ_K, nr, 0, checks.length + 1), ...checks, stmt(LD_W_ABS, OFFSET_NR))
    }
  }
  block.push(stmt(RET_K, actionValue(profile.defaultAction, profile.defaultErrnoRet, 'default action')))
  return block
}

/** The profile as struct sock_filter[] bytes for prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER). */
export function compileSeccomp(profile: SpecSeccomp): Buffer {
  const arches = profile.architectures ?? []
  if (arches.length === 0) throw new MiniRunError('seccomp: the profile names no architecture this machine has')
  const program: Insn[] = [stmt(LD_W_ABS, OFFSET_ARCH)]
  for (const name of arches) {
    if (!ARCHES[name]) throw new MiniRunError(`seccomp: unsupported architecture ${name}`)
    const block = archBlock(profile, name)
    // equal: skip the jump and enter the block; otherwise jump over it
    program.push(jump(JEQ_K, ARCHES[name]!.audit, 1, 0), stmt(JA, block.length), ...block)
  }
  program.push(stmt(RET_K, RET_KILL_PROCESS))
  for (const insn of program) {
    if (insn.jt > 255 || insn.jf > 255) throw new MiniRunError('seccomp: a rule has too many argument checks')
  }
  if (program.length > 4096) throw new MiniRunError(`seccomp: ${program.length} instructions, more than the kernel's 4096`)
  const out = Buffer.alloc(program.length * 8)
  program.forEach((insn, i) => {
    out.writeUInt16LE(insn.code, i * 8)
    out.writeUInt8(insn.jt, i * 8 + 2)
    out.writeUInt8(insn.jf, i * 8 + 3)
    out.writeUInt32LE(insn.k >>> 0, i * 8 + 4)
  })
  return out
}
