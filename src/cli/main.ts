#!/usr/bin/env node
/**
 * mini-run's command line. One file per verb under commands/; this file only
 * wires them up: runc's command line or mini-run's own (cli-program.ts).
 */
import { describeError } from '../errors.js'
import { cliMain } from './cli-program.js'
import { registerCommands } from './commands/index.js'
import { EXIT_RUNTIME_ERROR } from './exit-codes.js'
import { ociArgs } from './oci/detect.js'
import { stdioTerminalGone } from './terminal-gone.js'
import { exitNow } from '../native/process-calls.js'

export async function main(argv: string[]): Promise<number> {
  // runc's command line (podman, containerd): its own program (oci/detect.ts)
  const oci = ociArgs(argv)
  if (oci) return (await import('./oci/main.js')).ociMain(oci)
  return cliMain(argv, registerCommands)
}

/**
 * Run the command line and set the process's exit code. The bundle runs it
 * at once, unless the launcher loaded it ahead of its line (a pre-started
 * child of `system service`: warm-line.ts), which then calls it.
 */
function runMain(argv: string[]): void {
  main(argv).then(
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

const deferred = Symbol.for('mini-run.deferred-main')
const launcher = globalThis as Record<symbol, unknown>
if (launcher[deferred] === true) launcher[deferred] = runMain
else runMain(process.argv)
