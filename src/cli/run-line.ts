/**
 * The bundle the launcher runs for a line run-line-parse.ts could parse
 * (dist/mini-run-run.cjs): a foreground `run`, without commander and
 * without the other verbs, a third of the CLI's code to read and compile at
 * each start. What it does is what commands/run.ts does for that line:
 * both call runInForeground.
 */
import { absoluteRoots, globalLogLevel } from './global-options.js'
import { ociArgs } from './oci/detect.js'
import { reportError } from './report-error.js'
import { runInForeground, type RunVerbFlags } from './run-in-foreground.js'
import type { RunLine } from './run-line-parse.js'
import { endQuietlyWhenReaderGone, exitCodeOrReaderGone } from './stdout-reader-gone.js'

// for the launcher, to end the process once the run's result is out
export { exitNow } from '../native/process-calls.js'

export interface RunLineResult {
  exitCode: number
  /** The container ran to its end: this run compiled the whole path (the launcher's code cache keeps it). */
  ran: boolean
}

/**
 * Run the line; resolves to the exit code. Undefined when the line is
 * runc's after all (a container of the OCI root named among its words:
 * oci/detect.ts), for the whole CLI to run.
 */
export function runLine(line: RunLine): Promise<RunLineResult> | undefined {
  if (ociArgs(process.argv)) return undefined
  endQuietlyWhenReaderGone()
  return start(line).then(
    (exitCode) => ({ exitCode: exitCodeOrReaderGone(exitCode), ran: true }),
    (err: unknown) => ({ exitCode: reportError(err, ['run']), ran: false }),
  )
}

async function start(line: RunLine): Promise<number> {
  const level = globalLogLevel(line.globals)
  if (level) (await import('../log.js')).setLogLevel(level)
  // the flags as commander would give them: the same table (run-flag-specs.ts)
  return runInForeground(line.positional, line.flags as unknown as RunVerbFlags, absoluteRoots(line.globals))
}
