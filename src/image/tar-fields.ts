/**
 * The byte-level decoding of tar blocks: header fields (octal and base-256
 * numbers, NUL-terminated strings), the header checksum, the end-of-archive
 * block and PAX records. Apart from tar-reader.ts because none of it knows
 * about entries or the reader's state: each function reads one field of one
 * block.
 */
import { MiniRunError } from '../errors.js'

export const BLOCK = 512
/** Cap on a PAX or GNU long-name record: a bigger one is hostile, not a long path. */
export const MAX_META_SIZE = 1024 * 1024

export function tarError(message: string): MiniRunError {
  return new MiniRunError(message, { code: 'EBADLAYER' })
}

export function cString(buf: Buffer, start: number, end: number): string {
  const nul = buf.indexOf(0, start)
  return buf.toString('utf8', start, nul === -1 || nul > end ? end : nul)
}

export function parseNumber(buf: Buffer, start: number, len: number, field: string): number {
  const first = buf[start]!
  if (first & 0x80) {
    // base-256 (GNU and star): big-endian two's complement in the field
    const negative = first === 0xff
    let value = 0
    for (let i = start + 1; i < start + len; i++) value = value * 256 + (negative ? 0xff - buf[i]! : buf[i]!)
    if (!Number.isSafeInteger(value)) throw tarError(`tar header field ${field} is too large`)
    return negative ? -value - 1 : value
  }
  const text = buf.toString('latin1', start, start + len).replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '')
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) throw tarError(`tar header field ${field} is not an octal number: ${JSON.stringify(text)}`)
  return parseInt(text, 8)
}

export function checksumOk(block: Buffer): boolean {
  const stored = parseNumber(block, 148, 8, 'chksum')
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 32 : block[i]!
    unsigned += b
    signed += b > 127 ? b - 256 : b
  }
  return stored === unsigned || stored === signed
}

export function isZeroBlock(block: Buffer, offset: number): boolean {
  for (let i = offset; i < offset + BLOCK; i++) if (block[i] !== 0) return false
  return true
}

/** PAX records "<len> <key>=<value>\n", values kept as bytes. */
export function parsePax(body: Buffer, into: Map<string, Buffer>): void {
  let pos = 0
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos)
    if (space === -1) break
    const len = Number(body.toString('latin1', pos, space))
    if (!Number.isInteger(len) || len <= space - pos || pos + len > body.length) {
      throw tarError(`malformed PAX record at byte ${pos} of an extended header`)
    }
    const eq = body.indexOf(0x3d, space + 1)
    if (eq === -1 || eq >= pos + len) throw tarError(`malformed PAX record at byte ${pos} of an extended header`)
    const key = body.toString('utf8', space + 1, eq)
    // the record ends with "\n", which is not part of the value
    into.set(key, body.subarray(eq + 1, pos + len - 1))
    pos += len
  }
}
