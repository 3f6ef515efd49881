/**
 * The reader of stdout went away (`mini-run history IMG | head -1`): the
 * rest of the output is no longer wanted, which is no failure to report.
 * Docker's CLI, a Go program, dies of SIGPIPE then, without a word, and
 * the shell sees 141 (128 + SIGPIPE). Node ignores SIGPIPE, so the write
 * fails with EPIPE instead: through process.stdout, as an 'error' event
 * that, with no listener, ends the process with Node's stack trace; through
 * a verb's await (writeDrained, a stream pipeline), as the verb's error.
 * Both end the verb quietly here, with 141. The verb still unwinds (a `cp`
 * out of a container unmounts what it mounted), and its later writes to
 * the broken stream are dropped. The stream knows of its failure at once,
 * but says so only on the next tick, after a verb that wrote last may
 * have ended: the verb's exit code asks (exitCodeOrReaderGone).
 */
import { EXIT_SIGPIPE } from './exit-codes.js'

/** Whether an error is the write's to a pipe whose reader has gone. */
export function readerGone(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EPIPE'
}

let watching = false
let stdout: NodeJS.WriteStream | undefined
let gone = false

/** A write to fd 1 itself failed with EPIPE (write-stdout.ts). */
export function readerWentAway(): void {
  gone = true
}

/** Whether process.stdout, once made, holds output it has yet to write (write-stdout.ts queues behind it). */
export function stdoutStreamHoldsOutput(): boolean {
  return (stdout?.writableLength ?? 0) > 0
}

/** Whether a write to stdout found its reader gone. */
export function stdoutReaderGone(): boolean {
  return gone || readerGone(stdout?.errored)
}

/** The verb's exit code, or 141 if the reader of its output went away. */
export function exitCodeOrReaderGone(code: number): number {
  return stdoutReaderGone() ? EXIT_SIGPIPE : code
}

/**
 * Listen for EPIPE on process.stdout from when it is first used. Not by
 * using it here: making it loads Node's streams, 2 to 3 ms of a listing
 * (write-stdout.ts). Node defines process.stdout as a configurable getter
 * that makes the stream once; this getter adds the listener to what Node's
 * returns and puts Node's back.
 */
export function endQuietlyWhenReaderGone(): void {
  if (watching) return
  watching = true
  const node = Object.getOwnPropertyDescriptor(process, 'stdout')
  if (!node?.get || !node.configurable) {
    stdout = process.stdout
    stdout.on('error', onStdoutError)
    return
  }
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: node.enumerable ?? true,
    get() {
      stdout = node.get!.call(process) as NodeJS.WriteStream
      Object.defineProperty(process, 'stdout', node)
      stdout.on('error', onStdoutError)
      return stdout
    },
  })
}

function onStdoutError(err: unknown): void {
  // any other error is what it was without this listener: uncaught
  if (!readerGone(err)) throw err
  gone = true
}
