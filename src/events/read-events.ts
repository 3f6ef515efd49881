/**
 * Reading the events log (event-log.ts): the rotated file, then the current
 * one, then, when following, what is appended to it. A rotation is seen by
 * the path naming another inode than the open fd: what was still written to
 * the old file is read to its end before the new one is opened from its
 * start, so a follower loses no line across it.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { eventLogPath } from './event-log.js'
import { parseEventLine, type EventMessage } from './event-message.js'

/** How often a follower looks for new lines (podman's file backend polls the same way). */
const POLL_MS = 100

export interface ReadEventsOptions {
  /** Read the events already in the log (--since or --until given); else only those to come. */
  past: boolean
  /** Keep reading what is appended until `stop` says so. */
  follow: boolean
  /** Checked between polls: true ends the follow (--until reached). */
  stop?: () => boolean
  signal?: AbortSignal
  onEvent: (e: EventMessage) => void
}

function openIfThere(path: string): number | undefined {
  try {
    return openSync(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/**
 * Whole lines from an fd, from a position on: a last line without its
 * newline (being written, or cut short) is read again with the rest of it,
 * as bytes, so no character is split between two reads.
 */
class LineReader {
  private pos: number
  private buf = Buffer.alloc(64 * 1024)
  constructor(
    readonly fd: number,
    start: number,
  ) {
    this.pos = start
  }
  drain(each: (line: string) => void): void {
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.pos)
      const end = this.buf.lastIndexOf(0x0a, n - 1)
      if (n === 0 || (end < 0 && n < this.buf.length)) return
      // a line longer than the buffer: a larger buffer
      if (end < 0) {
        this.buf = Buffer.alloc(this.buf.length * 2)
        continue
      }
      this.pos += end + 1
      for (const line of this.buf.toString('utf8', 0, end).split('\n')) if (line) each(line)
    }
  }
}

export async function readEvents(stateRoot: string, o: ReadEventsOptions): Promise<void> {
  const path = eventLogPath(stateRoot)
  const each = (line: string) => {
    const e = parseEventLine(line)
    if (e) o.onEvent(e)
  }
  if (o.past) {
    const old = openIfThere(`${path}.1`)
    if (old !== undefined) {
      try {
        new LineReader(old, 0).drain(each)
      } finally {
        closeSync(old)
      }
    }
  }
  const open = (fromStart: boolean): LineReader | undefined => {
    const fd = openIfThere(path)
    return fd === undefined ? undefined : new LineReader(fd, fromStart ? 0 : fstatSync(fd).size)
  }
  let reader = open(o.past)
  try {
    reader?.drain(each)
    while (o.follow && !o.stop?.() && !o.signal?.aborted) {
      await sleep(POLL_MS)
      if (!reader) {
        // made since we looked: every line of it is new
        reader = open(true)
        reader?.drain(each)
        continue
      }
      reader.drain(each)
      let now: number | undefined
      try {
        now = statSync(path).ino
      } catch {
        now = undefined
      }
      if (now !== fstatSync(reader.fd).ino) {
        // rotated: the old file's last lines, then the new file from its start
        reader.drain(each)
        closeSync(reader.fd)
        reader = open(true)
        reader?.drain(each)
      }
    }
  } finally {
    if (reader) closeSync(reader.fd)
  }
}
