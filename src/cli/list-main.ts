/**
 * The bundle the launcher runs for `ps`, `images` and `inspect`
 * (dist/mini-run-list.cjs): the verbs scripts run in loops, with commander
 * and nothing of the other verbs, so that each call reads and compiles a
 * fifth of the whole CLI. A line of the common forms (list-line.ts) goes to
 * its verb without commander, which is loaded only for the others; those
 * are parsed and run as by the whole CLI (cli-program.ts), with these verbs
 * registered the same way.
 */
import type { Command } from 'commander'
import { register as registerImages, listImages } from './commands/images.js'
import { register as registerInspect, inspectObjects } from './commands/inspect.js'
import { register as registerPs, listContainersLine, type PsFlags } from './commands/ps.js'
import type { ImagesFlags } from './commands/images.js'
import type { InspectFlags } from './commands/inspect.js'
import { parseListLine, type ListLine } from './list-line.js'
import { ociArgs } from './oci/detect.js'
import { reportError } from './report-error.js'
import { endQuietlyWhenReaderGone, exitCodeOrReaderGone } from './stdout-reader-gone.js'

// the launcher ends a listing with it (launcher.cts, exitWithoutTeardown)
export { exitNow } from '../native/process-calls.js'

/** The verbs this bundle holds (the launcher sends it only these). */
export const LIST_VERBS: Record<string, (program: Command) => void> = {
  ps: registerPs,
  images: registerImages,
  inspect: registerInspect,
}

/** Resolves to the exit code; undefined when the line is runc's (`ps ID` of an OCI container), for the whole CLI. */
export function listMain(argv: string[]): Promise<number> | undefined {
  if (ociArgs(argv)) return undefined
  endQuietlyWhenReaderGone()
  const line = parseListLine(argv)
  if (line) return runListLine(line)
  return import('./cli-program.js').then(({ cliMain }) =>
    cliMain(argv, (program, only) => {
      const register = only === undefined ? undefined : LIST_VERBS[only]
      if (!register) throw new TypeError(`the listing bundle has no verb ${only ?? '(none)'}`)
      register(program)
    }),
  )
}

/** The verb's action as commander would call it: the global options are all it asks of the command. */
async function runListLine(line: ListLine): Promise<number> {
  const cmd = { parent: null, opts: () => line.globals } as unknown as Command
  try {
    if (line.verb === 'ps') await listContainersLine(line.flags as unknown as PsFlags, cmd)
    else if (line.verb === 'images') await listImages(cmd, line.args[0], line.flags as unknown as ImagesFlags)
    else await inspectObjects(cmd, line.args, line.flags as InspectFlags)
  } catch (err) {
    return reportError(err, [line.verb])
  }
  return exitCodeOrReaderGone(typeof process.exitCode === 'number' ? process.exitCode : 0)
}
