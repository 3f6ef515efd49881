/**
 * The frames of a monitor's attach socket (native/monitor-attach.h, where
 * the protocol is described): an 8-byte header (type, three zero bytes, a
 * big-endian length), then the payload. The type numbers are defined once
 * here and once there.
 */
export const ATTACH_STDIN = 0
export const ATTACH_STDOUT = 1
export const ATTACH_STDERR = 2
export const ATTACH_EXIT = 3
export const ATTACH_RESIZE = 5
export const ATTACH_CLOSE_STDIN = 6

export interface Frame {
  type: number
  payload: Buffer
}

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8)
  head[0] = type
  head.writeUInt32BE(payload.length, 4)
  return Buffer.concat([head, payload])
}

export function resizeFrame(rows: number, cols: number): Buffer {
  const p = Buffer.alloc(4)
  p.writeUInt16BE(rows & 0xffff, 0)
  p.writeUInt16BE(cols & 0xffff, 2)
  return encodeFrame(ATTACH_RESIZE, p)
}

/** Frames from a byte stream that arrives in arbitrary pieces. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0)

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
    const frames: Frame[] = []
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4)
      if (this.buf.length < 8 + len) break
      frames.push({ type: this.buf[0]!, payload: this.buf.subarray(8, 8 + len) })
      this.buf = this.buf.subarray(8 + len)
    }
    return frames
  }
}
