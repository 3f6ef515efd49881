import { describe, expect, it } from 'vitest'
import { encodeProgram } from '../src/runtime/plan/encode-program.js'
import { Op } from '../src/runtime/plan/step-codes.js'
import { decodeProgram } from './helpers/decode-program.js'

function decode(buf: Buffer) {
  return decodeProgram(buf).map(({ code, flags, raw }) => ({ op: code, flags, args: raw }))
}

describe('encodeProgram', () => {
  it('encodes strings NUL-terminated and numbers as 8-byte u64', () => {
    const steps = decode(
      encodeProgram([
        { op: 'mount', source: 'proc', root: '/r', target: '/proc', fstype: 'proc', flags: 14, data: '', optional: true, why: '', section: 'command' },
        { op: 'exec', path: '/bin', args: ['sh', '-c', 'echo hi'], env: ['A=1'], why: '', section: 'command' },
        { op: 'setgroups', gids: [], why: '', section: 'command' },
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
    const [step] = decode(encodeProgram([{ op: 'cap_bounding', caps: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN'], why: '', section: 'command' }]))
    expect(step!.args[0]!.readBigUInt64LE()).toBe((1n << 0n) | (1n << 5n) | (1n << 21n))
  })

  it('encodes numbers beyond 32 bits, bigints (RLIM_INFINITY), buffers and UTF-8 strings byte for byte', () => {
    const filter = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9])
    const steps = decode(
      encodeProgram([
        { op: 'mount', source: 'héllo', target: '/t', flags: 2 ** 40 + 5, why: '', section: 'command' },
        { op: 'setrlimit', name: 'RLIMIT_NOFILE', resource: 7, soft: 1024n, hard: (1n << 64n) - 1n, why: '', section: 'command' },
        { op: 'seccomp', filter, denied: [], why: '', section: 'command' },
      ]),
    )
    expect(steps[0]!.args[0]!).toEqual(Buffer.from('héllo', 'utf8'))
    expect(steps[0]!.args[4]!.readBigUInt64LE()).toBe(2n ** 40n + 5n)
    expect(steps[1]!.args.slice(1).map((a) => a.readBigUInt64LE())).toEqual([1024n, (1n << 64n) - 1n])
    expect(steps[2]!.args).toEqual([filter])
  })

  it('encodes a negative number as its 64-bit two\'s complement', () => {
    const [step] = decode(encodeProgram([{ op: 'mount', target: '/t', flags: -2, why: '', section: 'command' }]))
    expect(step!.args[4]!.readBigInt64LE()).toBe(-2n)
  })

  it('refuses a string with a NUL byte rather than truncating it', () => {
    expect(() => encodeProgram([{ op: 'chdir', path: '/a\0/b', why: '', section: 'command' }])).toThrow(/NUL/)
  })
})

describe('slots', () => {
  it('gives a step the fd of its slot at encoding time, and refuses a slot without one', () => {
    const steps = [{ op: 'move_mount' as const, fd: { slot: 'layer-0' }, target: '/c/lower/0', why: '', section: 'rootfs' as const }]
    expect(decode(encodeProgram(steps, new Map([['layer-0', 17]])))[0]!.args[0]!.readBigUInt64LE()).toBe(17n)
    expect(() => encodeProgram(steps)).toThrow('no fd for slot "layer-0"')
  })
})
