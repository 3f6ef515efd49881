/**
 * Encodes tar entries (POSIX ustar + pax) from explicit descriptions, for
 * building test images and fixtures. node-tar's Pack archives a directory
 * and cannot describe what a directory cannot hold or node-tar does not
 * write (whiteouts, device nodes, binary xattrs like security.capability),
 * nor the hostile paths ("../x", "/abs") that the security tests need: the
 * paths given here are written verbatim.
 */
import type { EntryType } from './tar-reader.js'

export interface TarWriteEntry {
  path: string
  type: EntryType
  mode: number
  uid?: number
  gid?: number
  /** Seconds since the epoch. */
  mtime?: number
  /** File content size; the caller then writes exactly this many bytes. */
  size?: number
  linkpath?: string
  devmajor?: number
  devminor?: number
  xattrs?: ReadonlyMap<string, Buffer>
}

const BLOCK = 512
const TYPEFLAG: Record<EntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
}

function writeString(buf: Buffer, value: string, offset: number, length: number): void {
  buf.write(value, offset, length, 'utf8')
}

/** Octal, zero padded, NUL terminated; false if it does not fit. */
function writeOctal(buf: Buffer, value: number, offset: number, length: number): boolean {
  const text = Math.max(0, Math.floor(value)).toString(8)
  if (text.length > length - 1) return false
  buf.write(text.padStart(length - 1, '0') + '\0', offset, length, 'latin1')
  return true
}

/** One pax record "<len> <key>=<value>\n", where len counts its own digits. */
export function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')])
  let len = body.length + 1
  while (String(len).length + body.length !== len) len = String(len).length + body.length
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body])
}

/** Split a path into ustar prefix (155) and name (100), or undefined if it cannot be. */
function splitUstar(path: string): [string, string] | undefined {
  if (Buffer.byteLength(path) <= 100) return ['', path]
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i)
    const name = path.slice(i + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return [prefix, name]
  }
  return undefined
}

function header(
  name: string,
  prefix: string,
  e: { typeflag: string; mode: number; uid: number; gid: number; size: number; mtime: number; linkpath: string; devmajor: number; devminor: number },
): { block: Buffer; fits: boolean } {
  const block = Buffer.alloc(BLOCK)
  writeString(block, name, 0, 100)
  let fits = writeOctal(block, e.mode, 100, 8)
  fits = writeOctal(block, e.uid, 108, 8) && fits
  fits = writeOctal(block, e.gid, 116, 8) && fits
  fits = writeOctal(block, e.size, 124, 12) && fits
  fits = writeOctal(block, e.mtime, 136, 12) && fits
  block.write(e.typeflag, 156, 1, 'latin1')
  writeString(block, e.linkpath, 157, 100)
  block.write('ustar\0' + '00', 257, 8, 'latin1')
  writeOctal(block, e.devmajor, 329, 8)
  writeOctal(block, e.devminor, 337, 8)
  writeString(block, prefix, 345, 155)
  block.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += block[i]!
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
  return { block, fits }
}

/** The header blocks of an entry (a pax header first when ustar cannot hold it). */
export function encodeHeader(entry: TarWriteEntry): Buffer {
  const fields = {
    typeflag: TYPEFLAG[entry.type],
    mode: entry.mode & 0o7777,
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    size: entry.type === 'file' ? (entry.size ?? 0) : 0,
    mtime: entry.mtime ?? 0,
    linkpath: entry.linkpath ?? '',
    devmajor: entry.devmajor ?? 0,
    devminor: entry.devminor ?? 0,
  }
  const split = splitUstar(entry.path)
  const records: Buffer[] = []
  if (!split) records.push(paxRecord('path', Buffer.from(entry.path)))
  if (Buffer.byteLength(fields.linkpath) > 100) records.push(paxRecord('linkpath', Buffer.from(fields.linkpath)))
  const [prefix, name] = split ?? ['', entry.path.slice(-100)]
  const main = header(name, prefix, fields)
  if (!main.fits) {
    for (const key of ['uid', 'gid', 'size', 'mtime'] as const) records.push(paxRecord(key, Buffer.from(String(fields[key]))))
  }
  for (const [key, value] of entry.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${key}`, value))
  if (records.length === 0) return main.block
  const pax = Buffer.concat(records)
  const paxName = `PaxHeaders/${(entry.path.split('/').filter(Boolean).at(-1) ?? 'root').slice(0, 80)}`
  const paxHeader = header(paxName, '', { ...fields, typeflag: 'x', size: pax.length, linkpath: '', mode: 0o644 }).block
  return Buffer.concat([paxHeader, pax, padding(pax.length), main.block])
}

/** Zero bytes to pad data of this size to a whole block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK)
}

/** The end-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK)
