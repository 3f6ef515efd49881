import { getLogger } from '../log.js'
import { errorLine } from './error-line.js'
import { errorExitCode, EXIT_SIGPIPE } from './exit-codes.js'
import { readerGone, stdoutReaderGone } from './stdout-reader-gone.js'

/**
 * A verb's error on stderr, in one line; returns the exit code it means for
 * that verb (its words after `mini-run`: exit-codes.ts).
 */
export function reportError(err: unknown, verb: readonly string[]): number {
  // `| head -1`: the reader has what it wanted, and what failed after is
  // no news to it; Docker's CLI died at the write (stdout-reader-gone.ts)
  if (readerGone(err) || stdoutReaderGone()) return EXIT_SIGPIPE
  process.stderr.write(errorLine(err))
  // the line above is for users; where it came from is for whoever debugs (--log-level trace)
  getLogger().trace({ err }, 'the error above, with its stack')
  return errorExitCode(err, verb)
}
