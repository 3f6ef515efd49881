/**
 * A listing's output, written to fd 1 with write(2); and a long output (a
 * log, a tar stream) written through its stream at the pace of its reader.
 *
 * process.stdout is made on first use, and making it loads Node's streams
 * (a SyncWriteStream for a file or /dev/null, a net.Socket for a pipe, a
 * tty.WriteStream for a terminal): 2 to 3 ms of a `ps` that takes 25 ms
 * above Node's own start. Node writes to all three synchronously on Linux
 * while they can, so output written here and through process.stdout stays
 * in order. If the descriptor refuses a plain write (O_NONBLOCK set by
 * whoever shares it, a full pipe: EAGAIN), the rest goes through
 * process.stdout, which knows how to wait and how to report, and so does
 * all that follows, in line behind what it holds (`rm -f` of a thousand
 * containers, a name each, into a slow reader: a later name written here
 * would pass one it has queued). EPIPE ends the output
 * (stdout-reader-gone.ts).
 */
import { once } from 'node:events'
import { writeSync } from 'node:fs'
import type { Writable } from 'node:stream'
import { readerGone, readerWentAway, stdoutStreamHoldsOutput } from './stdout-reader-gone.js'

let throughStream = false

export function writeStdout(text: string): void {
  if (throughStream || stdoutStreamHoldsOutput()) {
    throughStream = true
    process.stdout.write(text)
    return
  }
  const bytes = Buffer.from(text)
  let done = 0
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done)
  } catch (err) {
    if (readerGone(err)) readerWentAway()
    else {
      throughStream = true
      process.stdout.write(bytes.subarray(done))
    }
  }
}

/**
 * Write to a stream and, when it holds more than its buffer (a pipe whose
 * reader is slower), wait for it to drain rather than hold a whole log in
 * memory. Rejects with the stream's error: EPIPE once the reader has gone,
 * at this write or an earlier one (a stream that failed drains no more).
 */
export function writeDrained(out: NodeJS.WritableStream, chunk: string | Uint8Array): void | Promise<void> {
  const failed = (out as Partial<Writable>).errored
  if (failed) return Promise.reject(failed)
  if (!out.write(chunk)) return once(out, 'drain').then(() => undefined)
}
