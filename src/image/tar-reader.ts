/**
 * A streaming tar reader for image layers.
 *
 * Why not node-tar's or tar-stream's parser: both decode PAX records as
 * UTF-8 text, and node-tar keeps only a fixed list of keys and cuts values
 * at the first NUL. Layers carry binary xattrs in PAX records
 * (SCHILY.xattr.security.capability is a struct vfs_cap_data full of NULs),
 * which must reach the disk byte for byte. This reader keeps PAX values as
 * Buffers and does nothing else: it turns bytes into entries and leaves
 * every decision to its consumer.
 *
 * It is synchronous and push-driven (write chunks, get callbacks) so that
 * the unpacker can write files with the synchronous fs calls, which cost a
 * fraction of a thread-pool round trip per small file.
 *
 * Formats: POSIX ustar and pax (x, g), GNU long names (L, K), v7. GNU sparse
 * files and multi-volume archives are refused.
 */
import { BLOCK, MAX_META_SIZE, checksumOk, cString, isZeroBlock, parseNumber, parsePax, tarError } from './tar-fields.js'

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo'

export interface TarEntry {
  path: string
  type: EntryType
  /** Permission bits including setuid/setgid/sticky (07777). */
  mode: number
  uid: number
  gid: number
  /** Bytes of content that follow (files only). */
  size: number
  /** Seconds since the epoch (fractional from PAX). */
  mtime: number
  linkpath: string
  devmajor: number
  devminor: number
  /** From PAX SCHILY.xattr.<name> records, values byte for byte. */
  xattrs: Map<string, Buffer> | undefined
}

export interface TarConsumer {
  entry(entry: TarEntry): void
  data(chunk: Buffer): void
  entryEnd(): void
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
}

type State = 'header' | 'data' | 'meta' | 'padding' | 'end'

/**
 * Ids and device numbers the system calls can take: a uid_t or gid_t is 0 to
 * 2^32-2 (chown(2) reads -1 as "leave it"), a major or minor a 32-bit int
 * here (mknod through native/). A base-256 field can hold far more.
 */
function checkRanges(entry: TarEntry): void {
  const fields: [string, number, number][] = [
    ['uid', entry.uid, 0xfffffffe],
    ['gid', entry.gid, 0xfffffffe],
    ['devmajor', entry.devmajor, 0x7fffffff],
    ['devminor', entry.devminor, 0x7fffffff],
  ]
  for (const [field, value, max] of fields) {
    if (!Number.isSafeInteger(value) || value < 0 || value > max) throw tarError(`tar entry ${JSON.stringify(entry.path)}: ${field} ${value} is out of range`)
  }
}

export class TarReader {
  #consumer: TarConsumer
  #state: State = 'header'
  /** Partial header or meta body carried over between chunks. */
  #pending: Buffer[] = []
  #pendingLength = 0
  #remaining = 0
  /** Data size of the current entry, for its padding. */
  #lastSize = 0
  #padding = 0
  #metaType = ''
  #pax = new Map<string, Buffer>()
  #globalPax = new Map<string, Buffer>()
  #longName: string | undefined
  #longLink: string | undefined
  #offset = 0

  constructor(consumer: TarConsumer) {
    this.#consumer = consumer
  }

  /** Bytes consumed so far (for error messages). */
  get offset(): number {
    return this.#offset
  }

  write(chunk: Buffer): void {
    let pos = 0
    while (pos < chunk.length) {
      switch (this.#state) {
        case 'end':
          // after the end-of-archive block: trailing padding, ignored
          this.#offset += chunk.length - pos
          return
        case 'data': {
          const n = Math.min(this.#remaining, chunk.length - pos)
          this.#consumer.data(chunk.subarray(pos, pos + n))
          pos += n
          this.#offset += n
          this.#remaining -= n
          if (this.#remaining === 0) this.#endOfBody()
          break
        }
        case 'padding': {
          const n = Math.min(this.#padding, chunk.length - pos)
          pos += n
          this.#offset += n
          this.#padding -= n
          if (this.#padding === 0) this.#state = 'header'
          break
        }
        case 'header':
        case 'meta': {
          const want = this.#state === 'header' ? BLOCK : this.#remaining
          // fast path: a whole header inside the chunk, nothing pending
          if (this.#pendingLength === 0 && chunk.length - pos >= want) {
            const block = chunk.subarray(pos, pos + want)
            pos += want
            this.#offset += want
            this.#complete(block)
            break
          }
          const n = Math.min(want - this.#pendingLength, chunk.length - pos)
          this.#pending.push(chunk.subarray(pos, pos + n))
          this.#pendingLength += n
          pos += n
          this.#offset += n
          if (this.#pendingLength === want) {
            const block = Buffer.concat(this.#pending, want)
            this.#pending = []
            this.#pendingLength = 0
            this.#complete(block)
          }
          break
        }
      }
    }
  }

  /** The input is over: it must end between entries. */
  end(): void {
    if (this.#state === 'end' || (this.#state === 'header' && this.#pendingLength === 0)) return
    throw tarError(`layer tar is truncated at byte ${this.#offset}`)
  }

  #complete(block: Buffer): void {
    if (this.#state === 'meta') {
      this.#meta(block)
      this.#afterBody(block.length)
    } else {
      this.#header(block)
    }
  }

  #afterBody(size: number): void {
    this.#padding = (BLOCK - (size % BLOCK)) % BLOCK
    this.#state = this.#padding === 0 ? 'header' : 'padding'
  }

  #endOfBody(): void {
    this.#consumer.entryEnd()
    this.#afterBody(this.#lastSize)
  }

  #meta(body: Buffer): void {
    switch (this.#metaType) {
      case 'x':
        parsePax(body, this.#pax)
        break
      case 'g':
        parsePax(body, this.#globalPax)
        break
      case 'L':
        this.#longName = cString(body, 0, body.length)
        break
      case 'K':
        this.#longLink = cString(body, 0, body.length)
        break
    }
  }

  #header(block: Buffer): void {
    if (isZeroBlock(block, 0)) {
      // end of archive (one zero block is enough, as for GNU tar)
      this.#state = 'end'
      return
    }
    const at = this.#offset - BLOCK
    if (!checksumOk(block)) throw tarError(`bad tar header checksum at byte ${at}`)
    const typeflag = String.fromCharCode(block[156]!)
    const size = parseNumber(block, 124, 12, 'size')
    if (size < 0) throw tarError(`negative size in tar header at byte ${at}`)

    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META_SIZE) throw tarError(`tar extended header of ${size} bytes at byte ${at} is too large`)
      this.#metaType = typeflag
      if (size === 0) return
      this.#remaining = size
      this.#state = 'meta'
      return
    }
    const type = TYPES[typeflag]
    if (type === undefined) {
      const what = typeflag === 'S' ? 'GNU sparse file' : typeflag === 'M' ? 'multi-volume entry' : `entry type ${JSON.stringify(typeflag)}`
      throw tarError(`unsupported tar ${what} at byte ${at}`)
    }

    const magic = block.toString('latin1', 257, 263)
    let path = cString(block, 0, 100)
    if (magic === 'ustar\0') {
      const prefix = cString(block, 345, 500)
      if (prefix) path = `${prefix}/${path}`
    }
    const linkpath = cString(block, 157, 257)
    const entry: TarEntry = {
      path,
      type,
      mode: parseNumber(block, 100, 8, 'mode') & 0o7777,
      uid: parseNumber(block, 108, 8, 'uid'),
      gid: parseNumber(block, 116, 8, 'gid'),
      size: type === 'file' ? size : 0,
      mtime: parseNumber(block, 136, 12, 'mtime'),
      linkpath,
      devmajor: type === 'char' || type === 'block' ? parseNumber(block, 329, 8, 'devmajor') : 0,
      devminor: type === 'char' || type === 'block' ? parseNumber(block, 337, 8, 'devminor') : 0,
      xattrs: undefined,
    }
    if (this.#longName !== undefined) entry.path = this.#longName
    if (this.#longLink !== undefined) entry.linkpath = this.#longLink
    this.#longName = this.#longLink = undefined
    if (this.#globalPax.size > 0) this.#applyPax(entry, this.#globalPax, true)
    if (this.#pax.size > 0) {
      this.#applyPax(entry, this.#pax)
      this.#pax = new Map()
    }
    checkRanges(entry)
    // Like Go's archive/tar (which Docker and containerd use), only regular
    // files have data: a size on any other type is ignored.
    const dataSize = type === 'file' ? entry.size : 0
    this.#consumer.entry(entry)
    this.#lastSize = dataSize
    if (dataSize === 0) {
      this.#consumer.entryEnd()
      this.#afterBody(0)
      return
    }
    this.#remaining = dataSize
    this.#state = 'data'
  }

  #applyPax(entry: TarEntry, pax: Map<string, Buffer>, global = false): void {
    for (const [key, value] of pax) {
      // a global header naming one path for every entry makes no sense
      if (global && (key === 'path' || key === 'linkpath')) continue
      switch (key) {
        case 'path':
          entry.path = value.toString('utf8')
          break
        case 'linkpath':
          entry.linkpath = value.toString('utf8')
          break
        case 'size':
        case 'uid':
        case 'gid': {
          const n = Number(value.toString('latin1'))
          if (!Number.isSafeInteger(n) || n < 0) throw tarError(`bad PAX ${key} ${JSON.stringify(value.toString('latin1'))} for ${entry.path}`)
          if (key === 'size' && entry.type === 'file') entry.size = n
          else if (key === 'uid') entry.uid = n
          else if (key === 'gid') entry.gid = n
          break
        }
        case 'mtime': {
          const n = Number(value.toString('latin1'))
          if (Number.isFinite(n)) entry.mtime = n
          break
        }
        default:
          if (key.startsWith('SCHILY.xattr.')) {
            entry.xattrs ??= new Map()
            entry.xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value))
          }
      }
    }
  }
}
