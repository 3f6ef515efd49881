/**
 * `logs`: the json-file lines the monitor wrote (one JSON object per line:
 * log, stream, time), stdout and stderr kept apart.
 *
 * The monitor rotates the log (native/monitor-log.c, --log-opt max-size and
 * max-file): container.log.N ... container.log.1 hold older lines, the
 * highest number the oldest. Nothing here reads a file whole: a log may be
 * as large as its max-size, and one past V8's longest string (2^29 - 24
 * characters) could not be read at all, which let a container hide its own
 * output. Files are read forward in chunks; --tail N reads backwards from
 * the end, so it holds N lines and one chunk, whatever the size of the log.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { detailsPrefix } from './log-details.js'

export interface LogLine {
  log: string
  stream: 'stdout' | 'stderr'
  time: string
  /** Docker's json-file field for --log-opt labels/env; mini-run's monitor records none. */
  attrs?: Record<string, string>
}

export interface LogOptions {
  tail?: number
  /** Only lines logged at or after / before or at these times: RFC 3339 with nine digits of fraction, as the monitor writes them (logTime). */
  since?: string
  until?: string
  timestamps?: boolean
  /** --details: each line's attributes before it (detailsPrefix). */
  details?: boolean
  follow?: boolean
  /** For --follow: whether more can come. */
  running?: () => boolean
  /** A promise: wait for it before writing more (a pipe's reader is slower than a file). */
  write: (stream: 'stdout' | 'stderr', text: string) => void | Promise<void>
}

const CHUNK = 64 * 1024
/** The monitor's longest line is 6 * 16 KiB of escaped output and its fields: anything longer is not one of its lines. */
const LINE_MAX = 1024 * 1024
/** How often --follow looks for more. */
const POLL_MS = 100

/** One of the log's files, open: the fd keeps it readable when the monitor renames or replaces it. */
interface LogFile {
  fd: number
  dev: number
  ino: number
  size: number
}

function openLog(path: string): LogFile | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return undefined // not there (yet, or any more)
  }
  const st = fstatSync(fd)
  return { fd, dev: st.dev, ino: st.ino, size: st.size }
}

function statLog(path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

/** What a name holds: a file (dev, ino), or nothing. */
type FileId = Pick<LogFile, 'dev' | 'ino'> | undefined

const sameFile = (a: FileId | Stats, b: FileId) => a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino

/** container.log is number 0; container.log.1 the newest rotated file */
const nameOf = (path: string, i: number) => (i === 0 ? path : `${path}.${i}`)

/**
 * What container.log, .1, .2 ... hold now. A rotation renames one file at
 * a time, oldest first, each one name up: it leaves one gap, which moves
 * down to container.log, until the new container.log is created. So the
 * names end at the second missing one in a row.
 */
function listing(path: string): FileId[] {
  const ids: FileId[] = []
  for (let i = 0; ; i++) {
    const st = statLog(nameOf(path, i))
    if (!st && i > 0 && !ids[i - 1]) break
    ids.push(st && { dev: st.dev, ino: st.ino })
  }
  while (ids.length && !ids.at(-1)) ids.pop()
  return ids
}

const sameListing = (a: FileId[], b: FileId[]) => a.length === b.length && a.every((id, i) => id === b[i] || sameFile(id, b[i]))

/**
 * Names and the files opened under them can be trusted when each name held
 * the same file before the opens and after them (a file only moves up, and
 * every rotation creates a new container.log): then, while the opens ran,
 * the names were all what the listing says. The monitor renames in bursts
 * (a rotation is a few renames): look again a little later when one was
 * under way.
 */
async function stable<T>(attempt: (before: FileId[]) => T | undefined, release: (t: T) => void, path: string): Promise<T | undefined> {
  for (let tries = 0; tries < 50; tries++) {
    if (tries > 0) await sleep(2)
    const before = listing(path)
    const got = attempt(before)
    if (got !== undefined && sameListing(before, listing(path))) return got
    if (got !== undefined) release(got)
  }
  return undefined
}

/** Every file of the log, oldest first, opened together. */
async function openAll(path: string): Promise<LogFile[]> {
  const closeAll = (files: LogFile[]) => files.forEach((f) => closeSync(f.fd))
  const open = (names: FileId[], verify: boolean) => {
    const opened: LogFile[] = []
    for (let i = names.length - 1; i >= 0; i--) {
      const f = names[i] && openLog(nameOf(path, i))
      if (f) opened.push(f)
      if (verify && names[i] && !sameFile(names[i], f)) {
        closeAll(opened)
        return undefined
      }
    }
    return opened
  }
  // a log rotating without pause all along: what there is, unchecked
  return (await stable((before) => open(before, true), closeAll, path)) ?? open(listing(path), false)!
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length)
  let got = 0
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got)
    if (n === 0) break
    got += n
  }
  return buf.subarray(0, got)
}

/** Where the last complete line of [0, size) ends: a line being written is not one yet. */
function completeEnd(fd: number, size: number): number {
  for (let pos = size; pos > 0; ) {
    const len = Math.min(CHUNK, pos)
    pos -= len
    const i = readAt(fd, pos, len).lastIndexOf(0x0a)
    if (i >= 0) return pos + i + 1
  }
  return 0
}

/** The non-empty lines of [0, end), which ends with "\n", from the last backwards, a chunk at a time. */
function* linesBackwards(fd: number, end: number): Generator<Buffer> {
  let pos = end - 1 // the final "\n"
  let rest: Buffer = Buffer.alloc(0) // the end of a line whose start is further back
  while (pos > 0) {
    const len = Math.min(CHUNK, pos)
    pos -= len
    const buf = rest.length ? Buffer.concat([readAt(fd, pos, len), rest]) : readAt(fd, pos, len)
    let hi = buf.length
    for (let i = buf.lastIndexOf(0x0a, hi - 1); i >= 0; i = i > 0 ? buf.lastIndexOf(0x0a, i - 1) : -1) {
      if (hi > i + 1) yield buf.subarray(i + 1, hi)
      hi = i
    }
    rest = buf.subarray(0, hi)
  }
  if (rest.length) yield rest
}

/** The complete lines from offset on, a chunk at a time; returns the offset after the last one. */
async function readForward(fd: number, offset: number, out: Output): Promise<number> {
  let buf = Buffer.allocUnsafe(CHUNK)
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, offset)
    if (n === 0) return offset
    const last = buf.subarray(0, n).lastIndexOf(0x0a)
    if (last < 0) {
      if (n < buf.length) return offset // a line being written: the rest comes later
      if (buf.length >= LINE_MAX) {
        offset += n // not a line the monitor wrote: skip it
        continue
      }
      buf = Buffer.allocUnsafe(buf.length * 2)
      continue
    }
    for (let start = 0; start <= last; ) {
      const nl = buf.indexOf(0x0a, start)
      if (nl > start) out.line(buf.subarray(start, nl))
      start = nl + 1
    }
    offset += last + 1
    await out.flush()
  }
}

/** Lines go out a chunk at a time, consecutive lines of one stream in one write. */
class Output {
  private batches: { stream: 'stdout' | 'stderr'; parts: string[] }[] = []
  size = 0
  constructor(private readonly o: LogOptions) {}

  line(raw: Buffer): void {
    let entry: LogLine
    try {
      entry = JSON.parse(raw.toString('utf8')) as LogLine
    } catch {
      return // not a line of the monitor's (it writes whole lines, each valid JSON)
    }
    // the times sort as text: the monitor always writes nine digits of fraction
    if ((this.o.since !== undefined && entry.time < this.o.since) || (this.o.until !== undefined && entry.time > this.o.until)) return
    const stream = entry.stream === 'stderr' ? 'stderr' : 'stdout'
    const text = `${this.o.timestamps ? `${entry.time} ` : ''}${this.o.details ? detailsPrefix(entry.attrs) : ''}${entry.log}`
    const last = this.batches.at(-1)
    if (last?.stream === stream) last.parts.push(text)
    else this.batches.push({ stream, parts: [text] })
    this.size += text.length
  }

  async flush(): Promise<void> {
    const batches = this.batches
    this.batches = []
    this.size = 0
    for (const b of batches) await this.o.write(b.stream, b.parts.join(''))
  }
}

/**
 * The file the monitor wrote after `current`, which is no longer
 * container.log, or undefined while there is none (the monitor creates it
 * right after the rename). If `current` was rotated out of existence (more
 * rotations than max-file while we slept), the oldest file left.
 */
async function nextFile(path: string, current: LogFile): Promise<LogFile | undefined> {
  return stable(
    (before) => {
      const at = before.findIndex((id) => sameFile(id, current))
      if (at === 0) return undefined
      // the nearest name below ours that holds a file: rotated files keep their order
      let next = (at > 0 ? at : before.length) - 1
      while (next >= 0 && !before[next]) next--
      const f = next >= 0 ? openLog(nameOf(path, next)) : undefined
      if (f && !sameFile(before[next], f)) {
        closeSync(f.fd)
        return undefined
      }
      return f
    },
    (f) => closeSync(f.fd),
    path,
  )
}

/** A time as the monitor writes it: RFC 3339 in UTC with nine digits of fraction (Docker's RFC3339NanoFixed). */
export function logTime(ms: number): string {
  const iso = new Date(ms).toISOString() // 2006-01-02T15:04:05.000Z
  return `${iso.slice(0, 23)}000000Z`
}

export async function readLogs(path: string, o: LogOptions): Promise<void> {
  const out = new Output(o)
  const files = await openAll(path)
  let current: LogFile | undefined
  let offset = 0
  try {
    if (o.tail !== undefined) offset = await tail(files, o.tail, out)
    else for (const f of files) offset = await readForward(f.fd, 0, out)
    if (!o.follow) return
    current = files.pop()
  } finally {
    for (const f of files) closeSync(f.fd)
  }
  await follow(path, current, offset, out, o)
}

/** The last n lines, newest file first until there are enough; returns where the newest file's last line ends. */
async function tail(files: LogFile[], n: number, out: Output): Promise<number> {
  const endOf = (f: LogFile) => completeEnd(f.fd, f.size)
  const newest = files.at(-1)
  const newestEnd = newest ? endOf(newest) : 0
  const lines: Buffer[] = []
  for (let i = files.length - 1; i >= 0 && lines.length < n; i--) {
    const f = files[i]!
    for (const line of linesBackwards(f.fd, f === newest ? newestEnd : endOf(f))) {
      lines.push(line)
      if (lines.length >= n) break
    }
  }
  for (const line of lines.reverse()) {
    out.line(line)
    if (out.size > CHUNK) await out.flush()
  }
  await out.flush()
  return newestEnd
}

/**
 * --follow: read what is added to the current file; when the monitor
 * renames it (a rotation), read it to its end, then the file that came
 * after it. With max-file 1 the file is truncated instead: it is read
 * again from its start (lines written and truncated away between two looks
 * are lost, as with Docker's json-file). Closes the file it is given.
 */
async function follow(path: string, start: LogFile | undefined, from: number, out: Output, o: LogOptions): Promise<void> {
  let current = start
  let offset = from
  try {
    for (;;) {
      const more = o.running?.() ?? false
      if (!current) {
        current = openLog(path)
        offset = 0
      }
      if (current) {
        offset = await readForward(current.fd, offset, out)
        const st = statLog(path)
        if (!st || !sameFile(st, current)) {
          const next = await nextFile(path, current)
          if (next) {
            // what was written before the rename
            await readForward(current.fd, offset, out)
            closeSync(current.fd)
            current = next
            offset = 0
            continue
          }
        } else if (st.size < offset) {
          offset = 0
          continue
        }
      }
      if (!more) return
      await sleep(POLL_MS)
    }
  } finally {
    if (current) closeSync(current.fd)
  }
}
