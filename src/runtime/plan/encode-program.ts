/**
 * Serialise a child step list into the binary program that native/stage.c
 * runs. The format is documented once, in native/steps.h; each step's
 * arguments come from its entry in child-kinds.ts.
 */
import { encodeStep, type Arg } from './child-kinds.js'
import { PROGRAM_MAGIC } from './step-codes.js'
import type { ChildStep, SlotRef } from './steps.js'

/** The bytes an argument takes, without its length and its NUL. */
function argLength(arg: Arg): number {
  if (typeof arg === 'string') {
    if (arg.includes('\0')) throw new TypeError(`step argument contains a NUL byte: ${JSON.stringify(arg)}`)
    return Buffer.byteLength(arg, 'utf8')
  }
  return Buffer.isBuffer(arg) ? arg.length : 8
}

/**
 * Buffer's own UTF-8 writer, without write()'s argument checks: each of
 * those is a call that copies its arguments into an array (Node's
 * hideStackFrames), 22 kB of a run's young generation for its few hundred
 * strings. The offset is in range: the buffer was sized for every argument.
 */
type Utf8Writer = Buffer & { utf8Write(text: string, offset: number): number }

/** Write arg's bytes at offset; returns the offset after them. */
function writeArg(buf: Buffer, view: DataView, arg: Arg, offset: number): number {
  if (typeof arg === 'string') return offset + (buf as Utf8Writer).utf8Write(arg, offset)
  if (Buffer.isBuffer(arg)) return offset + arg.copy(buf, offset)
  if (typeof arg === 'number' && Number.isSafeInteger(arg)) {
    // two's complement in two halves: ToUint32 (>>> 0) is exact modulo 2^32
    // for a safe integer, and floor(arg / 2^32) is its upper half's value
    view.setUint32(offset, arg >>> 0, true)
    view.setUint32(offset + 4, Math.floor(arg / 0x1_0000_0000) >>> 0, true)
  } else {
    view.setBigUint64(offset, BigInt.asUintN(64, BigInt(arg)), true)
  }
  return offset + 8
}

/**
 * The program bytes for native/stage.c (format: native/steps.h). `slots`
 * gives the fd number of every slot the steps name (the child inherits
 * them by those numbers); a slot without one is a bug in the caller.
 * One buffer, its size counted first: a Buffer per length, NUL and number
 * (some 600 for a run) cost more than the encoding itself.
 */
export function encodeProgram(steps: readonly ChildStep[], slots: ReadonlyMap<string, number> = new Map()): Buffer {
  const fd = (ref: SlotRef): number => {
    const n = slots.get(ref.slot)
    if (n === undefined) throw new TypeError(`no fd for slot "${ref.slot}" when encoding the step program`)
    return n
  }
  const encoded = steps.map((step) => encodeStep(step, fd))
  // Indexed loops: for-of asks an iterator for each element, and until V8
  // optimises the function (never, in a process this short) each answer is
  // an object of its own: 45 kB of a run's young generation here, which
  // brought its second scavenge on.
  let size = 8
  for (let i = 0; i < encoded.length; i++) {
    const { args } = encoded[i]!
    size += 8
    for (let j = 0; j < args.length; j++) size += 4 + argLength(args[j]!) + 1
  }
  const buf = Buffer.alloc(size) // zeroed: every argument's NUL is there already
  // DataView, not Buffer's write*LE: their range and bounds checks cost more
  // than the writes (0.35 ms for a run's few hundred numbers)
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length)
  buf.write(PROGRAM_MAGIC, 0, 'latin1')
  view.setUint32(4, steps.length, true)
  let offset = 8
  for (let i = 0; i < encoded.length; i++) {
    const { code, flags, args } = encoded[i]!
    view.setUint16(offset, code, true)
    view.setUint16(offset + 2, flags, true)
    view.setUint32(offset + 4, args.length, true)
    offset += 8
    for (let j = 0; j < args.length; j++) {
      const start = offset + 4
      const end = writeArg(buf, view, args[j]!, start)
      view.setUint32(offset, end - start, true)
      offset = end + 1
    }
  }
  return buf
}
