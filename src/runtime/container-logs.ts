/**
 * `logs`: the json-file lines the monitor wrote (one JSON object per line:
 * log, stream, time), stdout and stderr kept apart.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export interface LogLine {
  log: string
  stream: 'stdout' | 'stderr'
  time: string
}

export interface LogOptions {
  tail?: number
  timestamps?: boolean
  follow?: boolean
  /** For --follow: whether more can come. */
  running?: () => boolean
  write: (stream: 'stdout' | 'stderr', text: string) => void
}

function emit(line: string, o: LogOptions): void {
  if (!line) return
  let entry: LogLine
  try {
    entry = JSON.parse(line) as LogLine
  } catch {
    return // a line being written right now is never half-visible: the monitor writes whole lines
  }
  o.write(entry.stream === 'stderr' ? 'stderr' : 'stdout', o.timestamps ? `${entry.time} ${entry.log}` : entry.log)
}

export async function readLogs(path: string, o: LogOptions): Promise<void> {
  if (!existsSync(path)) {
    if (!o.follow) return
  }
  let offset = 0
  let pending = ''
  let first = true
  for (;;) {
    const size = existsSync(path) ? statSync(path).size : 0
    if (size > offset) {
      const fd = openSync(path, 'r')
      try {
        const buf = Buffer.alloc(size - offset)
        const n = readSync(fd, buf, 0, buf.length, offset)
        offset += n
        const lines = (pending + buf.subarray(0, n).toString('utf8')).split('\n')
        pending = lines.pop() ?? ''
        const shown = first && o.tail !== undefined && o.tail >= 0 ? lines.filter(Boolean).slice(-o.tail || lines.length) : lines
        if (first && o.tail === 0) shown.length = 0
        for (const line of shown) emit(line, o)
      } finally {
        closeSync(fd)
      }
    }
    first = false
    if (!o.follow) return
    if (!(o.running?.() ?? false) && statSafe(path) <= offset) return
    await sleep(100)
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
