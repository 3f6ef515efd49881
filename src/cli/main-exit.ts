/**
 * How a command line's run ends (main.ts for the whole CLI, verb-main.ts for
 * one verb's bundle): its exit code set as the process's, which Node then
 * exits with once nothing is left to do.
 */
import { describeError } from '../errors.js'
import { EXIT_RUNTIME_ERROR } from './exit-codes.js'
import { stdioTerminalGone } from './terminal-gone.js'
import { exitNow } from '../native/process-calls.js'

export function settleMain(running: Promise<number>): void {
  running.then(
    (code) => {
      process.exitCode = code
      // a terminal hung up meanwhile (run -it in a window that was closed): Node's teardown would abort on it
      if (stdioTerminalGone()) {
        process.once('exit', () => {
          try {
            exitNow(code)
          } catch {
            // no native library after all: Node's own exit goes on
          }
        })
      }
    },
    (err: unknown) => {
      process.stderr.write(`mini-run: ${describeError(err)}\n`)
      process.exitCode = EXIT_RUNTIME_ERROR
    },
  )
}
