/**
 * Random access to the files of an image archive, whether it is a
 * directory (an OCI layout on disk) or a tar file (`docker save`, or a
 * tarred layout). A tar is indexed once (one sequential read, data
 * skipped) and its members are then streamed straight from their offsets:
 * a multi-gigabyte archive is never copied. Symlinks inside the archive
 * (old `docker save` shares identical layers with them) are followed, but
 * only to members of the same archive.
 */
import { createReadStream } from 'node:fs'
import { lstat, open, readFile, realpath } from 'node:fs/promises'
import { join, posix, sep } from 'node:path'
import { Readable } from 'node:stream'
import { MiniRunError } from '../errors.js'
import { TarReader, type TarConsumer, type TarEntry } from './tar-reader.js'

export interface ArchiveSource {
  /** What to call it in errors. */
  readonly label: string
  exists(path: string): Promise<boolean>
  /** A member's content, refusing more than maxBytes. */
  read(path: string, maxBytes: number): Promise<Buffer>
  size(path: string): Promise<number>
  stream(path: string): Promise<Readable>
}

function missing(label: string, path: string): MiniRunError {
  return new MiniRunError(`${label}: no ${path} in the archive`, { code: 'EBADARCHIVE' })
}

function tooBig(label: string, path: string, max: number): MiniRunError {
  return new MiniRunError(`${label}: ${path} is larger than ${max} bytes`, { code: 'EBADARCHIVE' })
}

/** Normalize an archive member path: no leading "./" or "/", no "..". */
function memberPath(label: string, path: string): string {
  const normalized = posix.normalize(path.replace(/^\/+/, '')).replace(/\/+$/, '')
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new MiniRunError(`${label}: member ${JSON.stringify(path)} is outside the archive`, { code: 'EBADARCHIVE' })
  }
  return normalized === '.' ? '' : normalized
}

export class DirectorySource implements ArchiveSource {
  constructor(
    readonly dir: string,
    readonly label: string = dir,
  ) {}

  /** The real path of a member, which must stay inside the directory. */
  async #path(path: string): Promise<string> {
    const full = join(this.dir, memberPath(this.label, path))
    const real = await realpath(full)
    const root = await realpath(this.dir)
    if (real !== root && !real.startsWith(root + sep)) {
      throw new MiniRunError(`${this.label}: ${path} points outside the directory`, { code: 'EBADARCHIVE' })
    }
    return real
  }

  async exists(path: string): Promise<boolean> {
    try {
      await lstat(await this.#path(path))
      return true
    } catch (err) {
      if (err instanceof MiniRunError) throw err
      return false
    }
  }

  async read(path: string, maxBytes: number): Promise<Buffer> {
    const p = await this.#path(path).catch((err: unknown) => {
      if (err instanceof MiniRunError) throw err
      throw missing(this.label, path)
    })
    if ((await lstat(p)).size > maxBytes) throw tooBig(this.label, path, maxBytes)
    return readFile(p)
  }

  async size(path: string): Promise<number> {
    return (await lstat(await this.#path(path))).size
  }

  async stream(path: string): Promise<Readable> {
    return createReadStream(await this.#path(path).catch(() => Promise.reject(missing(this.label, path))))
  }
}

interface Member {
  offset: number
  size: number
  /** Symlink or hardlink target, as an archive member path. */
  link?: string
}

export class TarFileSource implements ArchiveSource {
  readonly label: string
  #members = new Map<string, Member>()

  private constructor(readonly file: string) {
    this.label = file
  }

  static async open(file: string): Promise<TarFileSource> {
    const src = new TarFileSource(file)
    await src.#index()
    return src
  }

  async #index(): Promise<void> {
    const members = this.#members
    const label = this.label
    let reader: TarReader | undefined = undefined
    const consumer: TarConsumer = {
      entry(e: TarEntry) {
        const path = memberPath(label, e.path)
        const offset = reader!.offset
        if (e.type === 'symlink') {
          members.set(path, { offset, size: 0, link: posix.join(posix.dirname(path), e.linkpath) })
        } else if (e.type === 'hardlink') {
          members.set(path, { offset, size: 0, link: e.linkpath })
        } else if (e.type === 'file') {
          members.set(path, { offset, size: e.size })
        }
      },
      data() {},
      entryEnd() {},
    }
    reader = new TarReader(consumer)
    const fh = await open(this.file)
    try {
      for await (const chunk of fh.createReadStream({ highWaterMark: 1024 * 1024, autoClose: false }) as AsyncIterable<Buffer>) {
        reader.write(chunk)
      }
      reader.end()
    } catch (err) {
      // garbage from the first byte: say what it is not, without echoing its bytes to the terminal
      if (reader.offset <= 512 && members.size === 0) {
        throw new MiniRunError(`${label}: not a tar archive (docker save's output) nor an OCI image layout`, { code: 'EBADARCHIVE', cause: err })
      }
      const message = (err as Error).message.replace(/[^\x20-\x7e]/g, '?')
      throw new MiniRunError(`${label}: not a readable tar archive: ${message}`, { code: 'EBADARCHIVE', cause: err })
    } finally {
      await fh.close()
    }
  }

  #resolve(path: string): Member | undefined {
    let p = memberPath(this.label, path)
    for (let hops = 0; hops < 16; hops++) {
      const m = this.#members.get(p)
      if (!m?.link) return m
      p = memberPath(this.label, m.link)
    }
    throw new MiniRunError(`${this.label}: too many links resolving ${path}`, { code: 'EBADARCHIVE' })
  }

  async exists(path: string): Promise<boolean> {
    return this.#resolve(path) !== undefined
  }

  #member(path: string): Member {
    const m = this.#resolve(path)
    if (!m) throw missing(this.label, path)
    return m
  }

  async read(path: string, maxBytes: number): Promise<Buffer> {
    const m = this.#member(path)
    if (m.size > maxBytes) throw tooBig(this.label, path, maxBytes)
    const buf = Buffer.alloc(m.size)
    const fh = await open(this.file)
    try {
      let off = 0
      while (off < m.size) {
        const { bytesRead } = await fh.read(buf, off, m.size - off, m.offset + off)
        if (bytesRead === 0) throw missing(this.label, path)
        off += bytesRead
      }
    } finally {
      await fh.close()
    }
    return buf
  }

  async size(path: string): Promise<number> {
    return this.#member(path).size
  }

  async stream(path: string): Promise<Readable> {
    const m = this.#member(path)
    if (m.size === 0) return Readable.from([])
    return createReadStream(this.file, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 256 * 1024 })
  }
}
