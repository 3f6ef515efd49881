/**
 * The device cgroup of cgroup v2: an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's leaf
 * (Documentation/admin-guide/cgroup-v2.rst "Device controller"), which the
 * kernel runs on every open and mknod of a device node by a process of the
 * cgroup: it returns 1 to allow, 0 to refuse (EPERM). runc and crun
 * generate the same kind of program from the same OCI rules. Pure: the
 * bytes go to bpf(BPF_PROG_LOAD) and bpf(BPF_PROG_ATTACH) in native/.
 *
 * Its input (struct bpf_cgroup_dev_ctx, linux/bpf.h): u32 access_type (the
 * device type in the low 16 bits: 1 block, 2 char; the access in the high
 * 16: 1 mknod, 2 read, 4 write), u32 major, u32 minor.
 *
 * The program tries the rules from the last to the first, so that the
 * first it meets that matches is the one that decides (OCI: the last
 * matching rule wins), and refuses what none matches. An allow rule
 * matches an access it covers whole (open O_RDWR needs r and w); a deny
 * rule matches an access it shares any bit with.
 */
import type { SpecDeviceRule } from './cgroup-limits.js'

// linux/bpf_common.h, linux/bpf.h
const LDX_MEM_W = 0x61
const ALU32_AND_K = 0x54
const ALU32_RSH_K = 0x74
const ALU32_MOV_K = 0xb4
const ALU32_MOV_X = 0xbc
const JEQ_K = 0x15
const JNE_K = 0x55
const EXIT = 0x95

const R0 = 0
const R1 = 1
const R2 = 2 // device type
const R3 = 3 // access
const R4 = 4 // major
const R5 = 5 // minor

const TYPE: Record<string, number> = { b: 1, c: 2 }
const ACCESS: Record<string, number> = { m: 1, r: 2, w: 4 }

interface Insn {
  code: number
  dst: number
  src: number
  off: number
  imm: number
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm })

function accessBits(access: string | undefined): number {
  let bits = 0
  for (const c of access ?? 'rwm') bits |= ACCESS[c] ?? 0
  return bits
}

/** One rule: its checks jump `skip` (filled in later) to the next rule when it does not match. */
function ruleBlock(rule: SpecDeviceRule): { insns: Insn[]; jumps: number[]; unconditional: boolean } {
  const insns: Insn[] = []
  const jumps: number[] = []
  const type = rule.type ?? 'a'
  if (type !== 'a') {
    jumps.push(insns.length)
    insns.push(insn(JNE_K, R2, 0, 0, TYPE[type]!))
  }
  const bits = accessBits(rule.access)
  if (rule.allow && bits !== 7) {
    // an access outside the rule's: not this rule
    insns.push(insn(ALU32_MOV_X, R1, R3, 0, 0), insn(ALU32_AND_K, R1, 0, 0, ~bits & 7))
    jumps.push(insns.length)
    insns.push(insn(JNE_K, R1, 0, 0, 0))
  } else if (!rule.allow && bits !== 7) {
    // no bit in common with the rule's: not this rule
    insns.push(insn(ALU32_MOV_X, R1, R3, 0, 0), insn(ALU32_AND_K, R1, 0, 0, bits))
    jumps.push(insns.length)
    insns.push(insn(JEQ_K, R1, 0, 0, 0))
  }
  if (rule.major !== undefined && rule.major >= 0) {
    jumps.push(insns.length)
    insns.push(insn(JNE_K, R4, 0, 0, rule.major))
  }
  if (rule.minor !== undefined && rule.minor >= 0) {
    jumps.push(insns.length)
    insns.push(insn(JNE_K, R5, 0, 0, rule.minor))
  }
  const unconditional = jumps.length === 0
  insns.push(insn(ALU32_MOV_K, R0, 0, 0, rule.allow ? 1 : 0), insn(EXIT, 0, 0, 0, 0))
  return { insns, jumps, unconditional }
}

/** The program for these rules, as struct bpf_insn[] bytes. */
export function deviceFilterProgram(rules: readonly SpecDeviceRule[]): Buffer {
  const program: Insn[] = [
    insn(LDX_MEM_W, R2, R1, 0, 0), insn(ALU32_AND_K, R2, 0, 0, 0xffff),
    insn(LDX_MEM_W, R3, R1, 0, 0), insn(ALU32_RSH_K, R3, 0, 0, 16),
    insn(LDX_MEM_W, R4, R1, 4, 0),
    insn(LDX_MEM_W, R5, R1, 8, 0),
  ]
  let decided = false
  for (const rule of [...rules].reverse()) {
    const block = ruleBlock(rule)
    // the next rule starts right after this block: each failed check jumps there
    for (const at of block.jumps) block.insns[at]!.off = block.insns.length - at - 1
    program.push(...block.insns)
    // the verifier refuses unreachable instructions: nothing after a rule that always matches
    if (block.unconditional) {
      decided = true
      break
    }
  }
  if (!decided) program.push(insn(ALU32_MOV_K, R0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0))
  const out = Buffer.alloc(program.length * 8)
  program.forEach((p, i) => {
    out.writeUInt8(p.code, i * 8)
    out.writeUInt8(p.dst | (p.src << 4), i * 8 + 1)
    out.writeInt16LE(p.off, i * 8 + 2)
    out.writeInt32LE(p.imm, i * 8 + 4)
  })
  return out
}
