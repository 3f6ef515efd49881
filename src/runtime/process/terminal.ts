/**
 * `run -t`: relay between the caller's terminal and the container's pty
 * master. The caller's terminal goes raw (the container's line discipline
 * does the editing and turns ^C into SIGINT for its foreground group), the
 * window size follows the caller's (TIOCSWINSZ makes the kernel send
 * SIGWINCH inside), and the mode is restored on exit.
 */
import { createReadStream, writeSync } from 'node:fs'
import * as native from '../../native/lib.js'

export interface AttachedTerminal {
  /** Resolves once the container's output has been drained. */
  finished(): Promise<void>
  close(): void
}

export function attachTerminal(master: number): AttachedTerminal {
  const stdin = process.stdin
  const stdout = process.stdout
  const raw = stdin.isTTY === true
  if (raw) stdin.setRawMode(true)
  // libuv's raw mode keeps output post-processing; the container's pty already did it
  if (raw && stdout.isTTY) native.ttyClearOpost(1)

  // The output stream owns the master and closes it once its pending read
  // (in libuv's thread pool) returns: closing it ourselves meanwhile would
  // let that number name the next file opened, and the stream close that
  // one instead. Nothing here touches the fd once the relay has stopped.
  let relaying = true
  const resize = () => {
    if (relaying && stdout.columns && stdout.rows) native.setWinsize(master, stdout.rows, stdout.columns)
  }
  const onInput = (chunk: Buffer) => {
    if (!relaying) return
    try {
      writeSync(master, chunk)
    } catch {
      // the container is gone
    }
  }
  if (stdout.isTTY) {
    resize()
    stdout.on('resize', resize)
  }
  stdin.on('data', onInput)
  stdin.resume()

  const stop = () => {
    if (!relaying) return
    relaying = false
    stdin.off('data', onInput)
    stdin.pause()
    if (raw) stdin.setRawMode(false)
    stdout.off('resize', resize)
  }
  // Reading a pty master fails with EIO once every slave fd is closed: that
  // is its end of file.
  const output = createReadStream('', { fd: master, highWaterMark: 16384 })
  output.on('data', (chunk) => stdout.write(chunk))
  output.on('error', stop)
  output.on('end', stop)
  const closed = new Promise<void>((resolve) => output.on('close', () => resolve()))

  return {
    async finished() {
      await closed
      stop()
    },
    close() {
      stop()
      output.destroy()
    },
  }
}
