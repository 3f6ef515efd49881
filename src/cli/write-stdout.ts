/**
 * A listing's output, written to fd 1 with write(2).
 *
 * process.stdout is made on first use, and making it loads Node's streams
 * (a SyncWriteStream for a file or /dev/null, a net.Socket for a pipe, a
 * tty.WriteStream for a terminal): 2 to 3 ms of a `ps` that takes 25 ms
 * above Node's own start. Node writes to all three synchronously on Linux,
 * so output written here and through process.stdout stays in order. If the
 * descriptor refuses a plain write (O_NONBLOCK set by whoever shares it:
 * EAGAIN; or EPIPE), the rest goes through process.stdout, which knows how
 * to wait and how to report.
 */
import { writeSync } from 'node:fs'

export function writeStdout(text: string): void {
  const bytes = Buffer.from(text)
  let done = 0
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done)
  } catch {
    process.stdout.write(bytes.subarray(done))
  }
}
