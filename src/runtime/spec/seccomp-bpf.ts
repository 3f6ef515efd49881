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
 *     (x86-64: nr with the x32 bit set -> kill, another ABI's numbers;
 *      the default action if the profile names SCMP_ARCH_X32)
 *     nr above every syscall the headers knew -> ENOSYS: the profile cannot
 *       judge a newer kernel's syscalls, and libc falls back on ENOSYS
 *       (runc stubs unknown syscalls the same way)
 *     for each rule, for each of its syscalls this architecture has:
 *       if nr == it [and each argument comparison holds]: return the action
 *     return the default action
 *   kill the process (an architecture the profile does not know)
 *
 * Argument comparisons: SCMP_CMP_EQ, NE and MASKED_EQ with a value (and
 * mask) below 2^32 look at the low 32 bits only, which is all the kernel
 * reads of an int argument (clone(2)'s flags: lower_32_bits in
 * kernel/fork.c; socket(2)'s family): a caller setting the high bits must
 * not slip past a rule that the syscall itself would not see differ. Every
 * other comparison (LT, LE, GT, GE, and values of 2^32 and above) is on the
 * whole 64 bits, the high word first, as libseccomp does. Little-endian
 * machines only (the low word comes first): x86-64 and arm64.
 *
 * SCMP_ARCH_X32: x32 binaries call the x86-64 kernel with bit 30 set in the
 * syscall number. With SCMP_ARCH_X32 in the profile those calls get the
 * default action; without it they are killed.
 */
import { MiniRunError } from '../../errors.js'
import { SYSCALL_MAX, syscallNumbers } from './seccomp-syscalls.js'
import type { SeccompAction, SpecSeccomp, SpecSyscallRule } from './spec.js'

/**
 * Programs compiled at build time, by the profile's JSON: the default
 * profile for Docker's default capabilities on each architecture
 * (scripts/bundle.mjs compiles them with this file and writes them into
 * the bundles). A start with the default profile, nearly every start, then
 * neither compiles it nor builds the syscall tables (0.9 ms of a start).
 * Keyed by content, not by the object: a copy of the profile, or one read
 * back from a container's state, finds the same program. Undefined outside
 * the bundles (tsc's build, the tests): there every profile is compiled.
 */
// Text in a string literal, a profile's JSON and its program's base64 on
// lines of their own, in turn: esbuild gives a define of an object a module
// of its own, whose init every module of the bundle then calls, and JSON
// text parsed at each start made new strings of its 20 kB. Looked up where
// it is: only the program found is cut out of it.
declare const SECCOMP_PRECOMPILED_TEXT: string | undefined
export function precompiledProgram(profileJson: string): string | undefined {
  if (typeof SECCOMP_PRECOMPILED_TEXT === 'undefined') return undefined
  const text = SECCOMP_PRECOMPILED_TEXT
  for (let at = 0; at < text.length; ) {
    const keyEnd = text.indexOf('\n', at)
    if (keyEnd < 0) return undefined
    const next = text.indexOf('\n', keyEnd + 1)
    const end = next < 0 ? text.length : next
    if (keyEnd - at === profileJson.length && text.startsWith(profileJson, at)) return text.slice(keyEnd + 1, end)
    at = end + 1
  }
  return undefined
}

// linux/filter.h, linux/bpf_common.h
const LD_W_ABS = 0x20
const JEQ_K = 0x15
const JGT_K = 0x25
const JGE_K = 0x35
const JA = 0x05
const AND_K = 0x54
const RET_K = 0x06

// linux/seccomp.h
const RET_KILL_PROCESS = 0x80000000
const RET_KILL_THREAD = 0x00000000
const RET_TRAP = 0x00030000
const RET_ERRNO = 0x00050000
const RET_TRACE = 0x7ff00000
const RET_LOG = 0x7ffc0000
const RET_ALLOW = 0x7fff0000

const OFFSET_NR = 0
const OFFSET_ARCH = 4
const argLow = (index: number) => 16 + 8 * index
const argHigh = (index: number) => 20 + 8 * index

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

function actionValue(action: SeccompAction, data: number | undefined, what: string): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return RET_ALLOW
    case 'SCMP_ACT_KILL_PROCESS':
      return RET_KILL_PROCESS
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return RET_KILL_THREAD
    case 'SCMP_ACT_LOG':
      return RET_LOG
    case 'SCMP_ACT_ERRNO': {
      const e = data ?? 1 // EPERM, runc's default
      if (!Number.isInteger(e) || e < 0 || e > 0xfff) throw new MiniRunError(`seccomp: ${what}: errnoRet ${e} out of range`)
      return RET_ERRNO | e
    }
    case 'SCMP_ACT_TRAP':
    case 'SCMP_ACT_TRACE': {
      // the 16 bits of data a tracer (TRACE) or the SIGSYS handler (TRAP) reads
      const d = data ?? 0
      if (!Number.isInteger(d) || d < 0 || d > 0xffff) throw new MiniRunError(`seccomp: ${what}: errnoRet ${d} out of range`)
      return (action === 'SCMP_ACT_TRAP' ? RET_TRAP : RET_TRACE) | d
    }
    default:
      throw new MiniRunError(`seccomp: ${what}: unsupported action ${String(action)}`)
  }
}

type Arg = NonNullable<SpecSyscallRule['args']>[number]
/** A jump target inside a rule's checks: the next instruction, the next check, or the rule's end (no match). */
type Target = 'next' | 'pass' | 'fail'
interface CheckInsn {
  code: number
  k: number
  jt?: Target
  jf?: Target
}

const U64_MAX = (1n << 64n) - 1n
/** A JSON number as 64 bits (one above 2^53 arrives rounded; past 2^64 - 1 it is taken as the maximum). */
function words(v: number): { hi: number; lo: number } {
  if (v <= 0xffffffff) return { hi: 0, lo: v }
  let b = BigInt(v)
  if (b > U64_MAX) b = U64_MAX
  return { hi: Number(b >> 32n), lo: Number(b & 0xffffffffn) }
}

/** One comparison of an argument, as instructions whose jumps name their targets. */
function comparison(c: Arg, name: string): CheckInsn[] {
  if (!Number.isInteger(c.index) || c.index < 0 || c.index > 5) throw new MiniRunError(`seccomp: ${name}: argument index ${c.index}`)
  for (const v of [c.value, c.valueTwo ?? 0]) {
    if (!Number.isInteger(v) || v < 0) throw new MiniRunError(`seccomp: ${name}: value ${v} is not an unsigned 64-bit value`)
  }
  const v = words(c.value)
  const ldLo: CheckInsn = { code: LD_W_ABS, k: argLow(c.index) }
  const ldHi: CheckInsn = { code: LD_W_ABS, k: argHigh(c.index) }
  const low32 = v.hi === 0 && (c.op !== 'SCMP_CMP_MASKED_EQ' || words(c.valueTwo ?? 0).hi === 0)
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      return low32
        ? [ldLo, { code: JEQ_K, k: v.lo, jt: 'pass', jf: 'fail' }]
        : [ldHi, { code: JEQ_K, k: v.hi, jt: 'next', jf: 'fail' }, ldLo, { code: JEQ_K, k: v.lo, jt: 'pass', jf: 'fail' }]
    case 'SCMP_CMP_NE':
      return low32
        ? [ldLo, { code: JEQ_K, k: v.lo, jt: 'fail', jf: 'pass' }]
        : [ldHi, { code: JEQ_K, k: v.hi, jt: 'next', jf: 'pass' }, ldLo, { code: JEQ_K, k: v.lo, jt: 'fail', jf: 'pass' }]
    case 'SCMP_CMP_MASKED_EQ': {
      const want = words(c.valueTwo ?? 0)
      return low32
        ? [ldLo, { code: AND_K, k: v.lo }, { code: JEQ_K, k: want.lo, jt: 'pass', jf: 'fail' }]
        : [
            ldHi, { code: AND_K, k: v.hi }, { code: JEQ_K, k: want.hi, jt: 'next', jf: 'fail' },
            ldLo, { code: AND_K, k: v.lo }, { code: JEQ_K, k: want.lo, jt: 'pass', jf: 'fail' },
          ]
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      // high word greater: true; equal: decided by the low word; less: false
      const low = c.op === 'SCMP_CMP_GT' ? JGT_K : JGE_K
      return [ldHi, { code: JGT_K, k: v.hi, jt: 'pass', jf: 'next' }, { code: JEQ_K, k: v.hi, jt: 'next', jf: 'fail' }, ldLo, { code: low, k: v.lo, jt: 'pass', jf: 'fail' }]
    }
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // the negations of GE and GT
      const low = c.op === 'SCMP_CMP_LT' ? JGE_K : JGT_K
      return [ldHi, { code: JGT_K, k: v.hi, jt: 'fail', jf: 'next' }, { code: JEQ_K, k: v.hi, jt: 'next', jf: 'pass' }, ldLo, { code: low, k: v.lo, jt: 'fail', jf: 'pass' }]
    }
    default:
      throw new MiniRunError(`seccomp: ${name}: unsupported comparison ${String(c.op)}`)
  }
}

/** The checks of a rule's arguments, all of which must hold, then the return; a failed check jumps past the return. */
function argumentChecks(rule: SpecSyscallRule, ret: number, name: string): Insn[] {
  const checks = (rule.args ?? []).map((c) => comparison(c, name))
  const total = checks.reduce((n, c) => n + c.length, 0) + 1
  const body: Insn[] = []
  for (const check of checks) {
    const passAt = body.length + check.length // the first instruction of the next check (or the return)
    for (const insn of check) {
      const at = body.length
      const offset = (t: Target | undefined) => (t === undefined || t === 'next' ? 0 : t === 'pass' ? passAt - at - 1 : total - at - 1)
      body.push(insn.jt === undefined && insn.jf === undefined ? stmt(insn.code, insn.k) : jump(insn.code, insn.k, offset(insn.jt), offset(insn.jf)))
    }
  }
  body.push(stmt(RET_K, ret))
  return body
}

/** A rule as each architecture's block uses it: its action's value and its argument checks, made once. */
interface PreparedRule {
  ret: number
  checks: Insn[] | undefined
}

function archBlock(profile: SpecSeccomp, archName: string, prepare: (rule: SpecSyscallRule, index: number, name: string) => PreparedRule): Insn[] {
  const arch = ARCHES[archName]!
  const table = syscallNumbers()[arch.table] ?? {}
  const block: Insn[] = [stmt(LD_W_ABS, OFFSET_NR), jump(JEQ_K, 0xffffffff, 0, 1), stmt(RET_K, RET_ALLOW)]
  if (arch.table === 'x86_64') {
    const x32 = (profile.architectures ?? []).includes('SCMP_ARCH_X32')
    const onX32 = x32 ? actionValue(profile.defaultAction, profile.defaultErrnoRet, 'default action') : RET_KILL_PROCESS
    block.push(jump(JGE_K, X32_SYSCALL_BIT, 0, 1), stmt(RET_K, onX32))
  }
  const max = SYSCALL_MAX[arch.table]
  if (max !== undefined) block.push(jump(JGE_K, max + 1, 0, 1), stmt(RET_K, RET_ERRNO | ENOSYS))
  const rules = profile.syscalls ?? []
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r]!
    for (const name of rule.names) {
      const nr = Object.hasOwn(table, name) ? table[name] : undefined
      if (nr === undefined) continue // not a syscall of this architecture
      const { ret, checks } = prepare(rule, r, name)
      if (checks === undefined) {
        block.push(jump(JEQ_K, nr, 0, 1), stmt(RET_K, ret))
        continue
      }
      // the checks load arguments into A: reload nr after them
      block.push(jump(JEQ_K, nr, 0, checks.length + 1))
      for (const insn of checks) block.push(insn)
      block.push(stmt(LD_W_ABS, OFFSET_NR))
    }
  }
  block.push(stmt(RET_K, actionValue(profile.defaultAction, profile.defaultErrnoRet, 'default action')))
  return block
}

/** The profile as struct sock_filter[] bytes for prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER). */
export function compileSeccomp(profile: SpecSeccomp): Buffer {
  const built = precompiledProgram(JSON.stringify(profile))
  if (built !== undefined) return Buffer.from(built, 'base64')
  const named = profile.architectures ?? []
  if (named.length === 0) throw new MiniRunError('seccomp: the profile names no architecture this machine has')
  for (const name of named) if (!ARCHES[name] && name !== 'SCMP_ARCH_X32') throw new MiniRunError(`seccomp: unsupported architecture ${name}`)
  // x32 shares x86-64's audit architecture: its calls are judged in that block
  const arches = [...new Set(named.map((a) => (a === 'SCMP_ARCH_X32' ? 'SCMP_ARCH_X86_64' : a)))]
  // A rule's action and argument checks are the same in every
  // architecture's block: made the first time a block uses the rule (with
  // the name of the syscall that uses it first, for error messages).
  const prepared = new Map<number, PreparedRule>()
  const prepare = (rule: SpecSyscallRule, index: number, name: string): PreparedRule => {
    let p = prepared.get(index)
    if (p === undefined) {
      const ret = actionValue(rule.action, rule.errnoRet, name)
      p = { ret, checks: rule.args?.length ? argumentChecks(rule, ret, name) : undefined }
      prepared.set(index, p)
    }
    return p
  }
  const program: Insn[] = [stmt(LD_W_ABS, OFFSET_ARCH)]
  for (const name of arches) {
    if (!ARCHES[name]) throw new MiniRunError(`seccomp: unsupported architecture ${name}`)
    const block = archBlock(profile, name, prepare)
    // equal: skip the jump and enter the block; otherwise jump over it
    program.push(jump(JEQ_K, ARCHES[name]!.audit, 1, 0), stmt(JA, block.length))
    for (const insn of block) program.push(insn)
  }
  program.push(stmt(RET_K, RET_KILL_PROCESS))
  const out = Buffer.alloc(program.length * 8)
  // DataView, not Buffer's write*: their checks cost more than the writes
  const view = new DataView(out.buffer, out.byteOffset, out.length)
  for (let i = 0; i < program.length; i++) {
    const insn = program[i]!
    if (insn.jt > 255 || insn.jf > 255) throw new MiniRunError('seccomp: a rule has too many argument checks')
    view.setUint16(i * 8, insn.code, true)
    out[i * 8 + 2] = insn.jt
    out[i * 8 + 3] = insn.jf
    view.setUint32(i * 8 + 4, insn.k >>> 0, true)
  }
  if (program.length > 4096) throw new MiniRunError(`seccomp: ${program.length} instructions, more than the kernel's 4096`)
  return out
}
