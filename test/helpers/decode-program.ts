/**
 * A minimal decoder of the step program format (native/steps.h), to check
 * the encoder and the interpreter against. Numbers come back as bigints,
 * strings as strings, byte blobs (seccomp filters) as Buffers.
 */
import { Op } from '../../src/runtime/plan/step-codes.js'

export interface DecodedStep {
  op: string
  code: number
  flags: number
  raw: Buffer[]
  /** Each argument as a u64 if it is 8 bytes, else as text. */
  args: (bigint | string)[]
}

const NAMES = new Map(Object.entries(Op).map(([name, code]) => [code as number, name]))

export function decodeProgram(buf: Buffer): DecodedStep[] {
  if (buf.subarray(0, 4).toString('latin1') !== 'MRS1') throw new Error('bad magic')
  const count = buf.readUInt32LE(4)
  let off = 8
  const steps: DecodedStep[] = []
  for (let i = 0; i < count; i++) {
    const code = buf.readUInt16LE(off)
    const flags = buf.readUInt16LE(off + 2)
    const argc = buf.readUInt32LE(off + 4)
    off += 8
    const raw: Buffer[] = []
    for (let a = 0; a < argc; a++) {
      const len = buf.readUInt32LE(off)
      raw.push(buf.subarray(off + 4, off + 4 + len))
      if (buf[off + 4 + len] !== 0) throw new Error(`argument ${a} of step ${i} is not NUL-terminated`)
      off += 4 + len + 1
    }
    steps.push({ op: NAMES.get(code) ?? `?${code}`, code, flags, raw, args: raw.map((r) => (r.length === 8 ? r.readBigUInt64LE() : r.toString())) })
  }
  if (off !== buf.length) throw new Error('trailing bytes after the last step')
  return steps
}
