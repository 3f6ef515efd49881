/**
 * import's one leniency: member names that begin with "/" (`tar -P` writes
 * them, /bin/sh) lose their leading slashes, as Docker's unpack joins every
 * name to the layer's root (moby pkg/archive, UnpackLayer: filepath.Join(dest,
 * hdr.Name)), so /x and ./x name one file. The store refuses absolute names
 * in every layer, a pulled one's included (layer-entry-checks.ts: nothing is
 * cleaned that could make two strings name one path); import rewrites them
 * in the tar it stores, before the tar is hashed, so the image's layer is
 * one the store (and a later `save` and `load`) takes. A hardlink's target
 * is a member name too and loses them as well; a symlink's is the link's
 * content and is kept. ".." is not cleaned: "/../x" becomes "../x", which
 * the store refuses.
 *
 * Only headers change (their checksums with them); every other byte passes
 * as it came, so an archive without absolute names keeps its digest, the
 * layer's diff id. The entries are framed as tar-reader.ts frames them; at
 * anything it would refuse (a bad checksum, an unknown type, a truncated
 * archive) the rest passes untouched, for the store to refuse.
 */
import { BLOCK, MAX_META_SIZE, checksumOk, isZeroBlock, parseNumber } from '../image/tar-fields.js'
import { paxRecord } from '../image/tar-writer.js'

const SLASH = 0x2f
/** The types tar-reader.ts takes as entries; only its files ('0', NUL, '7') have data. */
const ENTRY_TYPES = new Set(['0', '\0', '7', '1', '2', '3', '4', '5', '6'])
const FILE_TYPES = new Set(['0', '\0', '7'])

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK

/** Reads an async stream of chunks by byte counts. */
class ByteReader {
  #it: AsyncIterator<Buffer>
  #head: Buffer = Buffer.alloc(0)
  #done = false

  constructor(source: AsyncIterable<Buffer>) {
    this.#it = source[Symbol.asyncIterator]()
  }

  async #fill(): Promise<boolean> {
    while (this.#head.length === 0 && !this.#done) {
      const r = await this.#it.next()
      if (r.done) this.#done = true
      else this.#head = r.value
    }
    return this.#head.length > 0
  }

  /** The next n bytes in the pieces they came in: fewer only at the end of the input. */
  async *pass(n: number): AsyncGenerator<Buffer> {
    while (n > 0 && (await this.#fill())) {
      const piece = this.#head.subarray(0, n)
      this.#head = this.#head.subarray(piece.length)
      n -= piece.length
      yield piece
    }
  }

  /** The next n bytes as one buffer: fewer only at the end of the input. */
  async read(n: number): Promise<Buffer> {
    const pieces: Buffer[] = []
    for await (const piece of this.pass(n)) pieces.push(piece)
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)
  }

  async *rest(): AsyncGenerator<Buffer> {
    yield* this.pass(Number.POSITIVE_INFINITY)
  }

  /** Ends the source early (a decompressor's child and its pipes with it). */
  async close(): Promise<void> {
    if (!this.#done) await this.#it.return?.()
    this.#done = true
  }
}

/** The NUL-padded field without its leading slashes (`emptyAs` if nothing is left); false if it had none. */
function stripField(block: Buffer, start: number, length: number, emptyAs = ''): boolean {
  const nul = block.indexOf(0, start)
  const end = nul === -1 || nul > start + length ? start + length : nul
  let k = start
  while (k < end && block[k] === SLASH) k++
  if (k === start) return false
  const rest = Buffer.from(block.subarray(k, end))
  block.fill(0, start, start + length)
  if (rest.length) rest.copy(block, start)
  else block.write(emptyAs, start, length, 'latin1')
  return true
}

function writeSize(block: Buffer, size: number): void {
  block.write(size.toString(8).padStart(11, '0') + '\0', 124, 12, 'latin1')
}

function writeChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += block[i]!
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
}

/** An entry's header with its name (the ustar prefix, if any, else the name) and a hardlink's target relative. */
function relativeHeader(header: Buffer, hardlink: boolean): Buffer {
  const block = Buffer.from(header)
  const ustar = block.toString('latin1', 257, 263) === 'ustar\0'
  let changed = ustar && block[345] !== 0 ? stripField(block, 345, 155) : stripField(block, 0, 100, './')
  if (hardlink) changed = stripField(block, 157, 100, './') || changed
  if (!changed) return header
  writeChecksum(block)
  return block
}

/** A GNU long name or long link record ('L', 'K') made relative: its header (new size) and padded body. */
function relativeLongName(header: Buffer, body: Buffer, size: number): Buffer[] {
  const name = body.subarray(0, size)
  const nul = name.indexOf(0)
  const text = nul === -1 ? name : name.subarray(0, nul)
  let k = 0
  while (k < text.length && text[k] === SLASH) k++
  if (k === 0) return [header, body]
  const relative = Buffer.concat([k === text.length ? Buffer.from('./') : text.subarray(k), Buffer.alloc(1)])
  const block = Buffer.from(header)
  writeSize(block, relative.length)
  writeChecksum(block)
  return [block, relative, Buffer.alloc(padded(relative.length) - relative.length)]
}

/**
 * A PAX extended header's records with `path` (and a hardlink's `linkpath`)
 * relative, as its header (new size) and padded body, and the `size` it
 * sets. Malformed records are left for the store to refuse.
 */
function relativePax(header: Buffer, body: Buffer, size: number, hardlink: boolean): { blocks: Buffer[]; size: number | undefined } {
  const records: Buffer[] = []
  let dataSize: number | undefined
  let changed = false
  let pos = 0
  const data = body.subarray(0, size)
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos)
    if (space === -1) {
      // where the store's parsePax (tar-fields.ts) stops reading: the rest as it is
      records.push(data.subarray(pos))
      break
    }
    const len = Number(data.toString('latin1', pos, space))
    const eq = data.indexOf(0x3d, space + 1)
    if (!Number.isInteger(len) || len <= space - pos || pos + len > data.length || eq === -1 || eq >= pos + len) return { blocks: [header, body], size: undefined }
    const key = data.toString('utf8', space + 1, eq)
    const value = data.subarray(eq + 1, pos + len - 1)
    if (key === 'size') dataSize = Number(value.toString('latin1'))
    let k = 0
    if (key === 'path' || (key === 'linkpath' && hardlink)) while (k < value.length && value[k] === SLASH) k++
    if (k > 0) {
      records.push(paxRecord(key, k === value.length ? Buffer.from('./') : value.subarray(k)))
      changed = true
    } else {
      records.push(data.subarray(pos, pos + len))
    }
    pos += len
  }
  if (!changed) return { blocks: [header, body], size: dataSize }
  const relative = Buffer.concat(records)
  const block = Buffer.from(header)
  writeSize(block, relative.length)
  writeChecksum(block)
  return { blocks: [block, relative, Buffer.alloc(padded(relative.length) - relative.length)], size: dataSize }
}

interface Meta {
  type: string
  header: Buffer
  body: Buffer
  size: number
}

/** The tar with its members' leading slashes gone (see above), in chunks of 256 KiB as a decompressor gives them. */
export async function* relativeMemberNames(tar: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let length = 0
  for await (const piece of rewritten(tar)) {
    parts.push(piece)
    length += piece.length
    // a header and its data's pieces are each small: one write to the gzip of the blob per chunk, not per piece
    if (length >= 256 * 1024) {
      yield Buffer.concat(parts, length)
      parts = []
      length = 0
    }
  }
  if (length > 0) yield Buffer.concat(parts, length)
}

async function* rewritten(tar: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const input = new ByteReader(tar)
  try {
    yield* members(input)
  } finally {
    await input.close()
  }
}

async function* members(input: ByteReader): AsyncGenerator<Buffer> {
  let metas: Meta[] = []
  let globalSize: number | undefined
  for (;;) {
    const block = await input.read(BLOCK)
    const type = block.length === BLOCK ? String.fromCharCode(block[156]!) : ''
    let size = -1
    try {
      if (block.length === BLOCK && !isZeroBlock(block, 0) && checksumOk(block)) size = parseNumber(block, 124, 12, 'size')
    } catch {
      // not a number where one belongs: the store's reader refuses it
    }
    const meta = type === 'x' || type === 'g' || type === 'L' || type === 'K'
    const body = meta && size >= 0 && size <= MAX_META_SIZE ? await input.read(padded(size)) : undefined
    if (size < 0 || (meta && body?.length !== padded(size)) || (!meta && !ENTRY_TYPES.has(type))) {
      // the end of the archive, or what the store refuses: the rest as it came
      for (const m of metas) yield* [m.header, m.body]
      if (body?.length) yield* [block, body]
      else if (block.length) yield block
      yield* input.rest()
      return
    }
    if (meta) {
      metas.push({ type, header: block, body: body!, size })
      continue
    }
    const hardlink = type === '1'
    let paxSize: number | undefined
    for (const m of metas) {
      if (m.type === 'x') {
        const pax = relativePax(m.header, m.body, m.size, hardlink)
        if (pax.size !== undefined) paxSize = pax.size
        yield* pax.blocks
      } else if (m.type === 'L' || (m.type === 'K' && hardlink)) {
        yield* relativeLongName(m.header, m.body, m.size)
      } else {
        // a global header's size stands for every entry after it (tar-reader.ts applies it so)
        if (m.type === 'g') globalSize = relativePax(m.header, m.body, m.size, false).size ?? globalSize
        yield* [m.header, m.body]
      }
    }
    metas = []
    yield relativeHeader(block, hardlink)
    const dataSize = FILE_TYPES.has(type) ? (paxSize ?? globalSize ?? size) : 0
    if (!Number.isSafeInteger(dataSize) || dataSize < 0) {
      yield* input.rest()
      return
    }
    yield* input.pass(padded(dataSize))
  }
}
