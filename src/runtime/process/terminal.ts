/**
 * `run -t`: relay between the caller's terminal and the container's pty
 * master. The caller's terminal goes raw (the container's line discipline
 * does the editing and turns ^C into SIGINT for its foreground group), the
 * window size follows the caller's (TIOCSWINSZ makes the kernel send
 * SIGWINCH inside), and the mode is restored on exit.
 *
 * The master is read through libuv's tty handle (epoll, non-blocking), not
 * a read(2) in the thread pool: a read blocked in the pool holds its own
 * reference to the file, so closing our fd would not release the master
 * until the container next wrote something. Released at once, the master's
 * close hangs the pty up, and the kernel sends SIGHUP to the container's
 * session (tty_vhangup): a closed terminal ends a session that way, and so
 * does hangUp() when the caller's own terminal goes away.
 */
import { readSync, writeSync } from 'node:fs'
import { ReadStream } from 'node:tty'
import * as processCalls from '../../native/process-calls.js'

export interface AttachedTerminal {
  /** Resolves once the container's output has been drained. */
  finished(): Promise<void>
  close(): void
  /** The caller's side is gone: release the master (the container's session gets its hangup). */
  hangUp(): void
}

export interface TerminalOptions {
  /** -i: relay the caller's input (without it the container's terminal gets none). Default true. */
  input?: boolean
  /** The caller's terminal went away: end of file or an error on it, or its output failing. */
  onHangup?: () => void
  /** run -a without stdout: the container's output is still read (it would block on a full pty), and dropped. Default true. */
  output?: boolean
  /** The detach keys (exec -it): what of the input goes on, and whether the sequence was typed; then onDetach, and no more input. */
  detachInput?: DetachInput
}

export interface DetachInput {
  filter(chunk: Buffer): { pass: Buffer; detach: boolean }
  onDetach(): void
}

export function attachTerminal(master: number, o: TerminalOptions = {}): AttachedTerminal {
  const stdin = process.stdin
  const stdout = process.stdout
  const input = o.input !== false
  const raw = input && stdin.isTTY === true
  if (raw) stdin.setRawMode(true)
  // libuv's raw mode keeps output post-processing; the container's pty already did it
  if (raw && stdout.isTTY) processCalls.ttyClearOpost(1)

  const resize = () => {
    if (stdout.columns && stdout.rows) processCalls.setWinsize(master, stdout.rows, stdout.columns)
  }
  if (stdout.isTTY) {
    resize()
    stdout.on('resize', resize)
  }

  // libuv leaves a pty master blocking (it cannot reopen one to make its own
  // file description): it is made non-blocking here, so that input the pty
  // cannot take yet waits here, in order, and the drain at the end never
  // blocks the runtime.
  const pending: Buffer[] = []
  let flushing: NodeJS.Timeout | undefined
  const flush = () => {
    flushing = undefined
    while (pending.length > 0 && !closed) {
      try {
        const chunk = pending[0]!
        const n = writeSync(master, chunk)
        if (n < chunk.length) pending[0] = chunk.subarray(n)
        else pending.shift()
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          flushing = setTimeout(flush, 5)
          return
        }
        pending.length = 0 // the container is gone
      }
    }
  }
  // once the detach keys are typed, nothing more goes in; what came before them is written first (input the
  // pty cannot take yet, waiting on EAGAIN, is dropped when the caller then closes: only past its 4 KiB queue)
  let keysTyped = false
  const onInput = (chunk: Buffer) => {
    if (keysTyped) return
    const { pass, detach } = o.detachInput ? o.detachInput.filter(chunk) : { pass: chunk, detach: false }
    if (pass.length > 0) pending.push(pass)
    if (flushing === undefined) flush()
    if (detach) {
      keysTyped = true
      o.detachInput!.onDetach()
    }
  }
  const hangup = () => o.onHangup?.()
  if (input) {
    stdin.on('data', onInput)
    // a terminal that hangs up reads as end of file, or fails with EIO
    if (stdin.isTTY) {
      stdin.on('end', hangup)
      stdin.on('error', hangup)
    }
    stdin.resume()
  }
  stdout.on('error', hangup)

  // Reading a pty master fails with EIO once every slave fd is closed: that
  // is its end of file. libuv ends the stream sooner: a poll that reports
  // the hangup after a short read is its end of file (uv__stream_io), and
  // a master polls as hung up as soon as the slave closes, while it still
  // holds what the container wrote last (a read in raw mode returns at most
  // the line discipline's 4 KiB). So at that end the rest is read here, to
  // the EIO. The fd is still open: the stream closes it after its 'end'.
  processCalls.setNonBlocking(master)
  const output = new ReadStream(master)
  const show = o.output === false ? () => undefined : (chunk: Buffer) => void stdout.write(chunk)
  output.on('data', show)
  const drained = new Promise<void>((resolve) => {
    output.on('error', () => resolve())
    output.on('end', () => {
      if (!output.destroyed) readRest(master, show)
      resolve()
    })
    output.on('close', () => resolve())
  })

  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    if (flushing !== undefined) clearTimeout(flushing)
    if (input) {
      stdin.off('data', onInput)
      stdin.off('end', hangup)
      stdin.off('error', hangup)
      stdin.pause()
    }
    try {
      if (raw) stdin.setRawMode(false)
    } catch {
      // the terminal is gone
    }
    stdout.off('resize', resize)
    // closes the master: destroy() closes its fd, nothing else holds it
    output.destroy()
  }
  return {
    async finished() {
      await drained
      close()
    },
    close,
    hangUp: close,
  }
}

/** What a hung-up pty master still holds, to its end (EIO); the master is non-blocking (EAGAIN: a slave was opened again). */
export function readRest(master: number, write: (chunk: Buffer) => void): void {
  const buffer = Buffer.allocUnsafe(64 * 1024)
  for (;;) {
    let n: number
    try {
      n = readSync(master, buffer)
    } catch {
      return // EIO: all read; EAGAIN: a slave is open again, and the stream's end stands
    }
    if (n === 0) return
    write(Buffer.from(buffer.subarray(0, n)))
  }
}
