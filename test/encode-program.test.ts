import { describe, expect, it } from 'vitest'
import { encodeProgram } from '../src/runtime/plan/encode-program.js'
import { Op } from '../src/runtime/plan/step-codes.js'

/** A minimal decoder of the format in native/steps.h, to check the encoder against. */
function decode(buf: Buffer) {
  expect(buf.subarray(0, 4).toString('latin1')).toBe('MRS1')
  const count = buf.readUInt32LE(4)
  let off = 8
  const steps: { op: number; flags: number; args: Buffer[] }[] = []
  for (let i = 0; i < count; i++) {
    const op = buf.readUInt16LE(off)
    const flags = buf.readUInt16LE(off + 2)
    const argc = buf.readUInt32LE(off + 4)
    off += 8
    const args: Buffer[] = []
    for (let a = 0; a < argc; a++) {
      const len = buf.readUInt32LE(off)
      args.push(buf.subarray(off + 4, off + 4 + len))
      expect(buf[off + 4 + len]).toBe(0)
      off += 4 + len + 1
    }
    steps.push({ op, flags, args })
  }
  expect(off).toBe(buf.length)
  return steps
}

describe('encodeProgram', () => {
  it('encodes strings NUL-terminated and numbers as 8-byte u64', () => {
    const steps = decode(
      encodeProgram([
        { op: 'mount', source: 'proc', root: '/r', target: '/proc', fstype: 'proc', flags: 14, data: '', optional: true, why: '' },
        { op: 'exec', path: '/bin', args: ['sh', '-c', 'echo hi'], env: ['A=1'], why: '' },
        { op: 'setgroups', gids: [], why: '' },
      ]),
    )
    expect(steps[0]!.op).toBe(Op.MOUNT)
    expect(steps[0]!.flags).toBe(1)
    expect(steps[0]!.args.map((a, i) => (i === 4 ? a.readBigUInt64LE() : a.toString()))).toEqual(['proc', '/r', '/proc', 'proc', 14n, ''])
    expect(steps[1]!.op).toBe(Op.EXEC)
    expect(steps[1]!.args[1]!.readBigUInt64LE()).toBe(3n)
    expect(steps[1]!.args.map((a) => a.toString()).slice(2)).toEqual(['sh', '-c', 'echo hi', 'A=1'])
    expect(steps[2]).toEqual({ op: Op.SETGROUPS, flags: 0, args: [] })
  })

  it('encodes capability names as the capset bit mask', () => {
    const [step] = decode(encodeProgram([{ op: 'cap_bounding', caps: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN'], why: '' }]))
    expect(step!.args[0]!.readBigUInt64LE()).toBe((1n << 0n) | (1n << 5n) | (1n << 21n))
  })

  it('refuses a string with a NUL byte rather than truncating it', () => {
    expect(() => encodeProgram([{ op: 'chdir', path: '/a\0/b', why: '' }])).toThrow(/NUL/)
  })
})
