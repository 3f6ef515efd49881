/**
 * The bundle the launcher runs for `ps`, `images` and `inspect`
 * (dist/mini-run-list.cjs): the verbs scripts run in loops, with commander
 * and nothing of the other verbs, so that each call reads and compiles a
 * fifth of the whole CLI. The line is parsed and run as by the whole CLI
 * (cli-program.ts), with these verbs registered the same way.
 */
import type { Command } from 'commander'
import { cliMain } from './cli-program.js'
import { register as registerImages } from './commands/images.js'
import { register as registerInspect } from './commands/inspect.js'
import { register as registerPs } from './commands/ps.js'
import { ociArgs } from './oci/detect.js'

/** The verbs this bundle holds (the launcher sends it only these). */
export const LIST_VERBS: Record<string, (program: Command) => void> = {
  ps: registerPs,
  images: registerImages,
  inspect: registerInspect,
}

/** Resolves to the exit code; undefined when the line is runc's (`ps ID` of an OCI container), for the whole CLI. */
export function listMain(argv: string[]): Promise<number> | undefined {
  if (ociArgs(argv)) return undefined
  return cliMain(argv, (program, only) => {
    const register = only === undefined ? undefined : LIST_VERBS[only]
    if (!register) throw new TypeError(`the listing bundle has no verb ${only ?? '(none)'}`)
    register(program)
  })
}
