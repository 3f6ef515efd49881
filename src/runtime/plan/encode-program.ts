/**
 * Serialise a child step list into the binary program that native/stage.c
 * runs. The format is documented once, in native/steps.h; each step's
 * arguments come from its entry in child-kinds.ts.
 */
import { encodeStep, type Arg } from './child-kinds.js'
import { PROGRAM_MAGIC } from './step-codes.js'
import type { ChildStep, SlotRef } from './steps.js'

function argBytes(arg: Arg): Buffer {
  if (typeof arg === 'string') {
    if (arg.includes('\0')) throw new TypeError(`step argument contains a NUL byte: ${JSON.stringify(arg)}`)
    return Buffer.from(arg, 'utf8')
  }
  if (Buffer.isBuffer(arg)) return arg
  const buf = Buffer.alloc(8)
  buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(arg)))
  return buf
}

/**
 * The program bytes for native/stage.c (format: native/steps.h). `slots`
 * gives the fd number of every slot the steps name (the child inherits
 * them by those numbers); a slot without one is a bug in the caller.
 */
export function encodeProgram(steps: readonly ChildStep[], slots: ReadonlyMap<string, number> = new Map()): Buffer {
  const fd = (ref: SlotRef): number => {
    const n = slots.get(ref.slot)
    if (n === undefined) throw new TypeError(`no fd for slot "${ref.slot}" when encoding the step program`)
    return n
  }
  const parts: Buffer[] = []
  const header = Buffer.alloc(8)
  header.write(PROGRAM_MAGIC, 0, 'latin1')
  header.writeUInt32LE(steps.length, 4)
  parts.push(header)
  for (const step of steps) {
    const { code, flags, args } = encodeStep(step, fd)
    const head = Buffer.alloc(8)
    head.writeUInt16LE(code, 0)
    head.writeUInt16LE(flags, 2)
    head.writeUInt32LE(args.length, 4)
    parts.push(head)
    for (const arg of args) {
      const bytes = argBytes(arg)
      const len = Buffer.alloc(4)
      len.writeUInt32LE(bytes.length)
      parts.push(len, bytes, Buffer.alloc(1))
    }
  }
  return Buffer.concat(parts)
}
