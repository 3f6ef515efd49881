/**
 * Layer decompression, chosen from the first bytes rather than the media
 * type: `docker save` archives carry no media types, and registries serve
 * layers whose type and content disagree (Docker sniffs too). The digest
 * and diff id checks make sniffing safe: the content is verified anyway.
 *
 * zstd: Node 20's zlib has none (it arrives in Node 22.15), so fzstd, a
 * pure-JS streaming decoder: no native build, no download at install time.
 */
import { Readable, Transform, type TransformCallback, pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { Decompress } from 'fzstd'

export type Compression = 'gzip' | 'zstd' | 'none'

export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd'
  return 'none'
}

class ZstdDecompress extends Transform {
  #decoder = new Decompress((data) => {
    this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  })

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.#decoder.push(chunk)
      cb()
    } catch (err) {
      cb(err as Error)
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.#decoder.push(new Uint8Array(0), true)
      cb()
    } catch (err) {
      cb(err as Error)
    }
  }
}

export interface DecompressedStream {
  compression: Compression
  chunks: AsyncIterable<Buffer>
}

/** Peek at the first bytes of chunks, then yield them decompressed. */
export async function decompress(chunks: AsyncIterable<Buffer>): Promise<DecompressedStream> {
  const it = chunks[Symbol.asyncIterator]()
  const head: Buffer[] = []
  let headLength = 0
  while (headLength < 4) {
    const r = await it.next()
    if (r.done) break
    head.push(r.value)
    headLength += r.value.length
  }
  const first = Buffer.concat(head, headLength)
  const compression = sniffCompression(first)
  async function* all(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first
    for (;;) {
      const r = await it.next()
      if (r.done) return
      yield r.value
    }
  }
  if (compression === 'none') return { compression, chunks: all() }
  const decoder =
    compression === 'gzip' ? createGunzip({ chunkSize: 256 * 1024 }) : new ZstdDecompress({ highWaterMark: 256 * 1024 })
  // Errors of either side end up on the decoder, and so in whoever iterates it.
  const out = pipeline(Readable.from(all(), { objectMode: false }), decoder, () => {})
  return { compression, chunks: out as AsyncIterable<Buffer> }
}
