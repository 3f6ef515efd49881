import { getLogger } from '../log.js'
import { errorLine } from './error-line.js'
import { EXIT_RUNTIME_ERROR } from './exit-codes.js'

/** A verb's error on stderr, in one line; resolves to the exit code it means. */
export function reportError(err: unknown): number {
  process.stderr.write(errorLine(err))
  // the line above is for users; where it came from is for whoever debugs (--log-level trace)
  getLogger().trace({ err }, 'the error above, with its stack')
  // an error that knows its exit code (exec failures: 126, 127) says so
  const code = (err as { exitCode?: unknown }).exitCode
  return typeof code === 'number' ? code : EXIT_RUNTIME_ERROR
}
