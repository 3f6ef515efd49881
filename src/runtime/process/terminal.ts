/**
 * `run -t`: relay between the caller's terminal and the container's pty
 * master. The caller's terminal goes raw (the container's line discipline
 * does the editing and turns ^C into SIGINT for its foreground group), the
 * window size follows the caller's (TIOCSWINSZ makes the kernel send
 * SIGWINCH inside), and the mode is restored on exit.
 */
import { closeSync, createReadStream, writeSync } from 'node:fs'
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

  const resize = () => {
    if (stdout.columns && stdout.rows) native.setWinsize(master, stdout.rows, stdout.columns)
  }
  if (stdout.isTTY) {
    resize()
    stdout.on('resize', resize)
  }

  const onInput = (chunk: Buffer) => {
    try {
      writeSync(master, chunk)
    } catch {
      // the container is gone
    }
  }
  stdin.on('data', onInput)
  stdin.resume()

  // Reading a pty master fails with EIO once every slave fd is closed: that
  // is its end of file.
  const output = createReadStream('', { fd: master, autoClose: false, highWaterMark: 16384 })
  output.on('data', (chunk) => stdout.write(chunk))
  const drained = new Promise<void>((resolve) => {
    output.on('error', () => resolve())
    output.on('end', () => resolve())
  })

  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    stdin.off('data', onInput)
    stdin.pause()
    if (raw) stdin.setRawMode(false)
    stdout.off('resize', resize)
    output.destroy()
    try {
      closeSync(master)
    } catch {
      // already closed
    }
  }
  return {
    async finished() {
      await drained
      close()
    },
    close,
  }
}
